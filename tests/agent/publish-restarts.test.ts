// The daemon against the local CloudWatch endpoint across outages and restarts: no period lost
// through 5xx, throttling and a restart, and the re-arming first period after a first start or a
// fresh boot. Sessions come from a synthetic procRoot; sampleSeconds 1, publishSeconds 3 keep it
// fast. What one datapoint carries: publish.test.ts.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, tempDir, writeConfig } from "../support/agent";
import { Datapoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { assertContiguous, IID, inside, P, Period, periods, usePublishHarness, writePublishConfig } from "../support/publish-harness";
import { sleep, waitUntil } from "../support/sshd";

describe("publishing to CloudWatch (local endpoint)", function () {
    this.timeout(120000);
    const { cw, activePoints, daemon, waitPeriodsAfter } = usePublishHarness();

    it("loses no period through 5xx and throttling across several periods and an agent restart", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writePublishConfig(fake.root);
        cw().failWith({ status: 503, type: "ServiceUnavailable", message: "down for a test" }, { operations: ["PutMetricData"] });
        const a = daemon(cfg.path);
        // From the agent's start, not its spawn: a loaded machine takes seconds to start node.
        await waitUntil(() => a.events("started").length > 0, 30000, "the agent to start");
        const t0 = Date.now();
        await sleep(5000);
        // Each phase lasts until the agent has met its error at least once (retries back off with
        // jitter, and a loaded machine starts the agent late).
        await waitUntil(() => /event=publish_failed .*ServiceUnavailable/.test(a.stderr), 30000, "a publish failed with 503");
        cw().failWith({ status: 400, type: "ThrottlingException", message: "Rate exceeded" }, { operations: ["PutMetricData"] });
        await sleep(3500);
        await waitUntil(() => /event=publish_failed .*ThrottlingException/.test(a.stderr), 30000, "a publish throttled");
        const s2 = Date.now();
        fake.addSession({ pid: 211, user: "root", uid: 0, tty: null });
        await sleep(3200);
        assert.deepEqual(await a.stop("SIGTERM"), { code: 0, signal: null }, a.stderr);
        const spool = join(cfg.stateDir, "spool.jsonl");
        assert.ok(existsSync(spool), "undelivered datapoints are spooled");
        const spooled = readFileSync(spool, "utf8").trim().split("\n").length;
        assert.ok(spooled >= 4, `spooled ${spooled}`);
        assert.match(a.stderr, /event=publish_failed .*ServiceUnavailable \(HTTP 503\)/);
        assert.match(a.stderr, /event=publish_failed .*ThrottlingException \(HTTP 400\)/);
        assert.equal(cw().accepted("PutMetricData").length, 0);

        const bStart = Date.now();
        const b = daemon(cfg.path);
        await waitUntil(() => b.events("started").length > 0, 10000, "restart");
        assert.match(b.events("started")[0], new RegExp(`backlog=${spooled}\\b`));
        await sleep(3000);
        fake.remove(211);
        const s2end = Date.now();
        const recoveredAt = Date.now();
        cw().recover();
        await waitUntil(
            () => {
                const st = JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { backlog: number; lastPublishAt: string | null };
                return st.backlog === 0 && st.lastPublishAt !== null && Date.parse(st.lastPublishAt) >= recoveredAt;
            },
            30000,
            "backlog delivered",
        );
        await waitPeriodsAfter(Math.floor(Date.now() / P) * P, 1);
        assert.deepEqual(await b.stop("SIGTERM"), { code: 0, signal: null }, b.stderr);

        const accepted = cw().accepted("PutMetricData");
        assert.ok(
            accepted.every((r) => r.at >= recoveredAt),
            "nothing got through during the outage",
        );
        assert.ok(
            accepted.some((r) => (r.params.MetricData as unknown[]).length > 1),
            "the backlog went out in batches",
        );
        assert.ok(cw().requests.every((r) => r.signature.valid));
        const ps = periods(activePoints());
        assert.ok(ps[0].t <= Math.floor(t0 / P) * P + P, `first period ${new Date(ps[0].t).toISOString()} vs start ${new Date(t0).toISOString()}`);
        assertContiguous(ps);
        // Each period is delivered once: one datapoint of at most 3 samples, except the restart
        // period, which carries the stopped agent's partial datapoint and the new one's.
        const merged = ps.filter((p) => p.parts > 1);
        assert.ok(merged.length <= 1 && (merged[0]?.parts ?? 2) === 2, `periods delivered more than once: ${JSON.stringify(merged)}`);
        // Each agent's first period also carries the re-arming sample of a first start (agent/src/daemon/boot-rearm.ts;
        // nothing was delivered before the restart, so the restarted agent re-arms too).
        // (b's first sample comes a moment after bStart, possibly in the next period.)
        const bFirst = Math.floor(bStart / P) * P;
        const firstOfRun = (p: Period): boolean => p === ps[0] || p.t === bFirst || p.t === bFirst + P;
        for (const p of ps)
            assert.ok(p.n <= (p.parts === 1 ? 3 : 4) + (firstOfRun(p) ? 1 : 0), `period ${new Date(p.t).toISOString()} has SampleCount ${p.n}`);
        const full = ps.slice(1, -1).filter((p) => p.parts === 1 && !firstOfRun(p));
        assert.ok(full.filter((p) => p.n === 3).length >= full.length - 1, JSON.stringify(ps));
        for (const p of inside(ps, s2 + 1000, s2end - 1000))
            assert.equal(p.max, 2, `session added during the outage, period ${new Date(p.t).toISOString()}`);
        for (const p of inside(ps, 0, s2 - 1000)) assert.equal(p.max, 1);
        assert.ok(!existsSync(spool) || readFileSync(spool, "utf8").trim() === "", "spool emptied after delivery");
    });

    it("re-arms by publishing, never through the alarm API: the first period after a first start or a fresh boot counts as in use, a restart within the boot does not", async () => {
        const fake = new FakeProc().withListener(); // nobody logged in: every real sample is 0
        const noTerminals = tempDir(); // and no terminals: the machine's own, typed on by tests running alongside, would count
        // alarmName/warningAlarmName are still accepted (older configs) but must not lead to any alarm call.
        const cfg = writeConfig({
            instanceId: IID,
            region: "eu-west-1",
            sampleSeconds: 1,
            publishSeconds: 3,
            procRoot: fake.root,
            devRoot: noTerminals,
            alarmName: "a-idle",
            warningAlarmName: "a-warning",
            idleMinutes: 15,
        });
        const bootIdFile = join(cfg.stateDir, "boot-id");
        const realBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
        /** Starts a daemon, waits for its first two datapoints, stops it; returns them (oldest first). */
        async function firstPeriods(): Promise<{ d: Daemon; pts: Datapoint[] }> {
            const from = activePoints().length;
            const d = daemon(cfg.path);
            await waitUntil(() => activePoints().length >= from + 2, 30000, "two datapoints");
            assert.deepEqual(await d.stop(), { code: 0, signal: null }, d.stderr);
            return {
                d,
                pts: activePoints()
                    .slice(from)
                    .sort((a, b) => a.timestamp - b.timestamp),
            };
        }

        const first = await firstPeriods();
        assert.equal(first.pts[0].statisticValues?.Maximum, 1, "first start: the first period counts as in use");
        assert.equal(first.pts[0].statisticValues?.Minimum, 0, "the real samples were 0");
        assert.equal(first.pts[1].statisticValues?.Maximum, 0, "only the first period");
        assert.match(first.d.events("rearmed")[0] ?? "", /reason=first-start/);
        assert.equal(readFileSync(bootIdFile, "utf8").trim(), realBootId, "the boot is recorded once the re-arming datapoint is delivered");
        assert.equal((JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { rearm: string }).rearm, "done");

        const again = await firstPeriods();
        assert.equal(again.pts[0].statisticValues?.Maximum, 0, "a restart within the same boot does not re-arm");
        assert.equal(again.d.events("rearmed").length, 0);

        writeFileSync(bootIdFile, "00000000-0000-0000-0000-000000000000\n"); // recorded by an earlier boot
        const booted = await firstPeriods();
        assert.equal(booted.pts[0].statisticValues?.Maximum, 1, "fresh boot: the first period counts as in use");
        assert.match(booted.d.events("rearmed")[0] ?? "", /reason=fresh-boot/);
        assert.equal(readFileSync(bootIdFile, "utf8").trim(), realBootId);

        assert.deepEqual([...new Set(cw().requests.map((r) => r.operation))], ["PutMetricData"], "no SetAlarmState, no other call");
    });
});
