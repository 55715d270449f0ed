// /proc mounted with hidepid: a real proc mount with hidepid=2 in a private mount namespace
// (needs root), the agent run as an unprivileged uid against it. It must refuse to count (and
// publish nothing) rather than report 0, and work when the mount's gid= group includes it.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { agentBundle, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import type { CommandResult } from "../support/sshd";

const NOBODY = 65534;
const GROUP = 4242; // any gid: only the mount option and the process's groups matter

function runInProcNamespace(
    mountOpts: string,
    procDir: string,
    groups: number[],
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
    const setpriv = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, groups.length ? `--groups=${groups.join(",")}` : "--clear-groups"];
    const script = `set -eu; mount -t proc -o '${mountOpts}' proc '${procDir}'; exec ${setpriv.join(" ")} '${process.execPath}' '${agentBundle()}' ${args.map((a) => `'${a}'`).join(" ")}`;
    return new Promise((resolve, reject) => {
        const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
}

describe("/proc mounted with hidepid", function () {
    this.timeout(60000);
    let cw: CloudWatchEndpoint;
    let procDir = "";
    let cfgPath = "";
    before(async function () {
        if (process.getuid?.() !== 0) throw new Error("this test mounts proc in a private mount namespace: run it as root");
        cw = await startCloudWatchEndpoint();
        const dir = tempDir();
        chmodSync(dir, 0o755);
        chmodSync(dirname(agentBundle()), 0o755);
        procDir = join(dir, "proc");
        mkdirSync(procDir);
        const cfg = writeConfig({ instanceId: "i-0123456789abcdef0", region: "eu-west-1", procRoot: procDir, stateDir: join(dir, "state") }, dir);
        chmodSync(cfg.stateDir, 0o777);
        cfgPath = cfg.path;
    });
    after(async () => {
        await cw.close();
    });

    it("sessions exits 1 and says why when other users' processes are hidden", async () => {
        const r = await runInProcNamespace("hidepid=2", procDir, [], ["sessions", "--json", "--config", cfgPath]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /mounted with hidepid=(2|invisible): other users' processes are hidden from uid 65534/);
        assert.match(r.stderr, /gid=/, "says what to do");
        const one = await runInProcNamespace("hidepid=1", procDir, [], ["sessions", "--config", cfgPath]);
        assert.equal(one.code, 1, one.stdout + one.stderr);
    });

    it("once publishes nothing (not a false 0)", async () => {
        cw.reset();
        const r = await runInProcNamespace("hidepid=2", procDir, [], ["once", "--config", cfgPath], clientEnv(cw.url));
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /hidepid/);
        assert.equal(cw.requests.length, 0, "no datapoint at all");
    });

    it("status still works for the user and says sessions are unknown to them", async () => {
        const r = await runInProcNamespace("hidepid=2", procDir, [], ["status", "--config", cfgPath]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /sessions: +unknown to you: .*hidepid=(2|invisible)/);
    });

    it("counts normally when the mount's gid= group includes the agent's user, or without hidepid", async () => {
        for (const [opts, groups] of [
            [`hidepid=2,gid=${GROUP}`, [GROUP]],
            ["hidepid=0", []],
        ] as const) {
            const r = await runInProcNamespace(opts, procDir, [...groups], ["sessions", "--json", "--config", cfgPath]);
            assert.equal(r.code, 0, `${opts}: ${r.stderr}`);
            assert.match(r.stdout, /^\{"count":\d+,"sessions":\[/);
        }
        const notMember = await runInProcNamespace(`hidepid=2,gid=${GROUP}`, procDir, [], ["sessions", "--config", cfgPath]);
        assert.equal(notMember.code, 1, "gid= helps only members");
    });
});
