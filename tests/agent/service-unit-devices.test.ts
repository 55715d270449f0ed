// The systemd unit's device access (docs/security.md): the GPU signal's nvidia-smi can open the
// NVIDIA devices, nothing else physical can be opened, and the rest of the hardening stays.
import { strict as assert } from "assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const UNIT = resolve(__dirname, "..", "..", "agent", "install", "idle-stop-agent.service");

/** The [Service] settings, each key with every value it is given (in order). */
function serviceSettings(text: string): Map<string, string[]> {
    const settings = new Map<string, string[]>();
    let section = "";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const header = /^\[(.+)\]$/.exec(line);
        if (header) {
            section = header[1];
            continue;
        }
        if (section !== "Service") continue;
        const eq = line.indexOf("=");
        const key = line.slice(0, eq);
        settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
    }
    return settings;
}

describe("the agent's systemd unit: devices", () => {
    const text = readFileSync(UNIT, "utf8");
    const service = serviceSettings(text);

    it("lets nvidia-smi open the NVIDIA devices read-write, and no other physical device", () => {
        // PrivateDevices=yes gives a /dev without /dev/nvidia*: nvidia-smi would find no GPU.
        assert.deepEqual(service.get("PrivateDevices"), ["no"]);
        // closed: the pseudo devices and pseudo-terminals (wall's stop warning) stay usable.
        assert.deepEqual(service.get("DevicePolicy"), ["closed"]);
        assert.deepEqual(service.get("DeviceAllow"), ["char-nvidia* rw"], "only the NVIDIA driver's device groups, never mknod");
    });

    it("keeps what PrivateDevices=yes implied and the rest of the hardening", () => {
        assert.deepEqual(service.get("CapabilityBoundingSet"), [""], "no CAP_MKNOD, no CAP_SYS_RAWIO (no capability at all)");
        assert.deepEqual(service.get("SystemCallFilter"), ["~@raw-io"]);
        for (const [key, value] of [
            ["NoNewPrivileges", "yes"],
            ["ProtectSystem", "strict"],
            ["ProtectHome", "read-only"],
            ["PrivateTmp", "yes"],
            ["ProtectKernelTunables", "yes"],
            ["ProtectKernelModules", "yes"],
            ["RestrictSUIDSGID", "yes"],
            ["AmbientCapabilities", ""],
        ]) {
            assert.deepEqual(service.get(key), [value], `${key}=${value}`);
        }
    });

    it("is accepted by systemd-analyze verify without a warning", function () {
        if (spawnSync("systemd-analyze", ["--version"]).status !== 0) this.skip();
        // Node.js is not at /opt/idle-stop/node here: only the command is swapped, every other line is the unit's.
        const dir = mkdtempSync(join(tmpdir(), "idle-stop-unit-"));
        try {
            const copy = join(dir, "idle-stop-agent.service");
            writeFileSync(copy, text.replace(/^ExecStart=.*$/m, "ExecStart=/bin/true"));
            const r = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.doesNotMatch(r.stderr, /idle-stop-agent\.service/, r.stderr);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
