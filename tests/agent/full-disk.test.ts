// A full disk must not silence the agent: the daemon runs with its state dir on a real, full
// tmpfs (a private mount namespace, so nothing outside the test sees it; needs root) and still
// publishes every period to the local CloudWatch endpoint, keeping the backlog in memory.
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { agentBundle, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { sleep, waitUntil } from "../support/sshd";

const IID = "i-0123456789abcdef0";

describe("a full disk under the state dir", function () {
    this.timeout(120000);
    let cw: CloudWatchEndpoint;
    let child: ChildProcess | undefined;
    before(async function () {
        if (process.getuid?.() !== 0) throw new Error("this test mounts a tmpfs in a private mount namespace: run it as root");
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        child?.kill("SIGKILL");
        await cw.close();
    });

    it("keeps publishing from memory, logs the spool failure once, and writes the spool again once there is room", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 2, procRoot: fake.root });
        rmSync(cfg.stateDir, { recursive: true, force: true });
        // The state dir is a 64 KiB tmpfs, filled to the last byte before the agent starts.
        const script = [
            "set -eu",
            `mkdir -p '${cfg.stateDir}'`,
            `mount -t tmpfs -o size=64k,mode=0755 idle-stop-full '${cfg.stateDir}'`,
            `mkdir -m 1777 '${cfg.holdsDir}'`,
            `dd if=/dev/zero of='${cfg.stateDir}/fill' bs=4k 2>/dev/null || true`,
            `exec '${process.execPath}' '${agentBundle()}' run --config '${cfg.path}'`,
        ].join("\n");
        let stderr = "";
        child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
            env: clientEnv(cw.url),
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        child.stdout?.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((r) => child?.on("close", (code) => r(code)));
        const pid = child.pid as number;
        // The agent's view of its state dir, from outside its mount namespace.
        const stateInNs = join(`/proc/${pid}/root`, cfg.stateDir);

        await waitUntil(() => cw.datapoints().length >= 3, 30000, `3 datapoints from an agent on a full disk; log:\n${stderr}`);
        assert.equal(stderr.match(/event=spool_write_failed/g)?.length, 1, `logged once:\n${stderr}`);
        assert.match(stderr, /event=spool_write_failed .*ENOSPC/);
        assert.ok(!existsSync(join(stateInNs, "spool.jsonl")) || readFileSync(join(stateInNs, "spool.jsonl"), "utf8") === "");

        // CloudWatch goes down: the backlog grows in memory; then there is room again.
        cw.failWith({ status: 503, type: "ServiceUnavailable", message: "down for a test" }, { operations: ["PutMetricData"] });
        await sleep(4500);
        rmSync(join(stateInNs, "fill"));
        await waitUntil(() => stderr.includes("event=spool_write_recovered"), 10000, `spool written again; log:\n${stderr}`);
        const spooled = readFileSync(join(stateInNs, "spool.jsonl"), "utf8").trim().split("\n").length;
        assert.ok(spooled >= 2, `the in-memory backlog reached the spool (${spooled} lines)`);
        cw.recover();
        await waitUntil(() => !existsSync(join(stateInNs, "spool.jsonl")), 20000, "backlog delivered");

        child.kill("SIGTERM");
        assert.equal(await exited, 0, stderr);
        const ts = [...new Set(cw.datapoints().map((p) => p.timestamp))].sort((a, b) => a - b);
        for (let i = 1; i < ts.length; i++)
            assert.equal(ts[i] - ts[i - 1], 2000, `no period lost: ${ts.map((t) => new Date(t).toISOString()).join(" ")}`);
        assert.equal(stderr.match(/event=status_write_failed/g)?.length ?? 0, 1, "the status file's failure is logged once too");
    });
});
