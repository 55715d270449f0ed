// The daemon's wall clock stepped back an hour mid-run (libfaketime: only the agent's wall clock
// moves, its monotonic clock and everything else stay real). Sampling and publishing must go on
// at once, stamped with the new time, instead of freezing for the length of the step.
import * as assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { waitUntil } from "../support/sshd";

function libfaketime(): string {
    for (const dir of readdirSync("/usr/lib").map((d) => join("/usr/lib", d, "faketime"))) {
        const lib = join(dir, "libfaketime.so.1");
        if (existsSync(lib)) return lib;
    }
    throw new Error("libfaketime is needed (apt-get install faketime; .ci/run installs it)");
}

describe("a wall clock stepped back while the daemon runs", function () {
    this.timeout(90000);
    let cw: CloudWatchEndpoint;
    let d: Daemon | undefined;
    before(async () => {
        cw = await startCloudWatchEndpoint();
        // The agent's requests carry its (faked) time; this test is about scheduling, not signing.
        cw.enforceSignature = false;
    });
    after(async () => {
        await d?.stop("SIGKILL");
        await cw.close();
    });

    it("keeps sampling and publishing every period, re-aligned to the new time", async () => {
        // Scheduling, not use: the synthetic session counts while connected (sessionIdleSeconds 0),
        // whatever the faked clock does to its idle time.
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writeConfig({
            instanceId: "i-0123456789abcdef0",
            region: "eu-west-1",
            sampleSeconds: 1,
            publishSeconds: 2,
            procRoot: fake.root,
            sessionIdleSeconds: 0,
        });
        const spec = join(tempDir(), "faketime");
        writeFileSync(spec, "+0\n");
        d = new Daemon(
            cfg.path,
            clientEnv(cw.url, {
                LD_PRELOAD: libfaketime(),
                FAKETIME_TIMESTAMP_FILE: spec,
                FAKETIME_CACHE_DURATION: "1",
                DONT_FAKE_MONOTONIC: "1",
            }),
        );
        // ActiveSessions only: ConnectedSessions shares each period's timestamp.
        const activePoints = () => cw.datapoints().filter((p) => p.metricName === "ActiveSessions");
        await waitUntil(() => activePoints().length >= 2, 20000, "datapoints before the step");
        writeFileSync(spec, "-3600\n"); // NTP corrects a clock that ran an hour fast
        const stepAt = Date.now();
        const stepped = (): number => activePoints().filter((p) => p.timestamp < stepAt - 50 * 60000).length;
        await waitUntil(() => stepped() >= 3, 20000, `datapoints after the step (log:\n${d?.stderr})`);
        assert.ok(Date.now() - stepAt < 15000, "sampling did not wait out the step");
        assert.match(d.stderr, /event=clock_jump jump_ms=-3\d{6}/);
        const after = activePoints()
            .filter((p) => p.timestamp < stepAt - 50 * 60000)
            .map((p) => p.timestamp)
            .sort((a, b) => a - b);
        for (let i = 1; i < after.length; i++) assert.equal(after[i] - after[i - 1], 2000, "one datapoint per period");
        for (const p of activePoints().slice(1)) assert.equal(p.statisticValues?.Minimum, 1, "the session seen in every sample");
        assert.deepEqual(await d.stop(), { code: 0, signal: null }, d.stderr);
    });
});
