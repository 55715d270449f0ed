// The sshHostKey forms users copy from a real sshd (ssh-keyscan, a known_hosts entry written by ssh, the host's .pub file) pin exactly that server's key; another server's key does not. Integration tier: it starts the loopback sshd.
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeSshHostKey } from "../../common/ssh-host-key";
import { useSshd } from "../support/sshd";

describe("sshHostKey from a real sshd (finding 8)", () => {
    const sshd = useSshd();
    let dir: string;

    before(() => {
        dir = mkdtempSync(join(tmpdir(), "idle-stop-hostkey-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** The server's own public host key, "TYPE BASE64" (its .pub file without the comment). */
    function serverKey(): string {
        const [type, base64] = readFileSync(join(sshd().dir, "ssh_host_ed25519_key.pub"), "utf8").trim().split(" ");
        return `${type} ${base64}`;
    }

    it("pins the server's key from ssh-keyscan, from ssh's known_hosts entry and from the .pub file", () => {
        const { host, port } = sshd();
        const scanned = execFileSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), host], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        })
            .split("\n")
            .find((line) => line.includes("ssh-ed25519"));
        assert.ok(scanned, "ssh-keyscan saw the key");
        assert.equal(normalizeSshHostKey(scanned), serverKey());

        // What a first `ssh` to the box records in known_hosts, looked up as users would.
        const knownHosts = join(dir, "known_hosts");
        const user = sshd().addUser();
        // (ssh takes the first value of an option: these go before the fixture's, which turn checking off.)
        execFileSync(
            "ssh",
            [
                "-o",
                "StrictHostKeyChecking=accept-new",
                "-o",
                `UserKnownHostsFile=${knownHosts}`,
                ...sshd().clientOptions(),
                `${user}@${host}`,
                "true",
            ],
            {
                stdio: "ignore",
                timeout: 30000,
            },
        );
        const entry = execFileSync("ssh-keygen", ["-F", `[${host}]:${port}`, "-f", knownHosts], { encoding: "utf8" })
            .split("\n")
            .find((line) => line !== "" && !line.startsWith("#"));
        assert.ok(entry, "ssh recorded the key");
        assert.equal(normalizeSshHostKey(entry), serverKey());

        assert.equal(normalizeSshHostKey(readFileSync(join(sshd().dir, "ssh_host_ed25519_key.pub"), "utf8")), serverKey());
    });

    it("a key from another server is a different pin", () => {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other")]);
        const other = normalizeSshHostKey(readFileSync(join(dir, "other.pub"), "utf8"));
        assert.ok(other !== undefined);
        assert.notEqual(other, serverKey());
    });
});
