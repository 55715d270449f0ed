// The daemon against the local CloudWatch endpoint (AWS JSON 1.0, SigV4 verified): what one
// datapoint per period carries, and `once`. Sessions come from a synthetic procRoot so the metric is
// exactly what the test sets up (real-sshd counting is covered in sessions-sshd.test.ts).
// sampleSeconds 1, publishSeconds 3 keep it fast; across outages and restarts: publish-restarts.test.ts.
import * as assert from "node:assert/strict";
import { runAgent } from "../support/agent";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { assertContiguous, IID, inside, P, periods, untilPeriodPhase, usePublishHarness, writePublishConfig } from "../support/publish-harness";
import { sleep, waitUntil } from "../support/sshd";

describe("publishing to CloudWatch (local endpoint)", function () {
    this.timeout(120000);
    const { cw, activePoints, daemon, waitPeriodsAfter } = usePublishHarness();

    it("publishes one signed datapoint per period: namespace, name, dimension, unit, period-start timestamp, statistics", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writePublishConfig(fake.root);
        const d = daemon(cfg.path);
        await waitPeriodsAfter(0, 3);
        const change = Date.now();
        fake.addSession({ pid: 211, user: "root", uid: 0, tty: null });
        await waitPeriodsAfter(Math.floor(change / P) * P + 2 * P, 1);
        const stopped = await d.stop();
        assert.deepEqual(stopped, { code: 0, signal: null }, d.stderr);

        assert.ok(cw().requests.length > 0);
        for (const r of cw().requests) {
            assert.equal(r.operation, "PutMetricData");
            assert.ok(r.signature.valid, `unsigned/badly signed request: ${r.signature.problem}`);
            assert.equal(r.signature.region, "eu-west-1");
            assert.equal(r.status, 200);
        }
        const pts = activePoints();
        for (const p of pts) {
            assert.equal(p.namespace, "IdleStop");
            assert.equal(p.metricName, "ActiveSessions");
            assert.deepEqual(p.dimensions, { InstanceId: IID });
            assert.equal(p.unit, "Count");
            assert.equal(p.timestamp % P, 0, "Timestamp is the period start");
            assert.ok(p.at >= p.timestamp + (p === pts[pts.length - 1] ? 0 : P), "a full period is published after it ends");
        }
        const ps = periods(pts);
        assert.equal(ps.filter((p) => p.parts > 1).length, 0, "one datapoint per period");
        assertContiguous(ps);
        for (const p of ps.slice(1, -1)) assert.equal(p.n, 3, `3 samples in the full period ${new Date(p.t).toISOString()}`);
        const before = inside(ps.slice(1), 0, change);
        const afterChange = inside(ps.slice(0, -1), Math.floor(change / P) * P + P, Infinity);
        assert.ok(before.length >= 1 && afterChange.length >= 1, JSON.stringify(ps));
        for (const p of before) assert.deepEqual([p.min, p.max, p.sum], [1, 1, p.n]);
        for (const p of afterChange) assert.deepEqual([p.min, p.max, p.sum], [2, 2, 2 * p.n]);
        assert.match(d.stderr, /level=info event=published datapoints=\d+ .*backlog=0/);
    });

    it("a session shorter than the period but longer than the sample interval shows in Maximum", async () => {
        // the 15-seconds-in-a-minute case, scaled: 1.6 s inside a 6 s period sampled every 1 s
        const P6 = 6000;
        const fake = new FakeProc().withListener();
        const cfg = writePublishConfig(fake.root, { publishSeconds: 6 });
        const d = daemon(cfg.path);
        // The session's period must come after the agent's first (re-arming) one.
        await waitUntil(() => d.events("started").length > 0, 30000, "the agent to start");
        const now = Date.now();
        let start = Math.floor(now / P6) * P6 + P6 + 2000;
        if (start - now < 1000) start += P6;
        await sleep(start - Date.now());
        const added = Date.now();
        fake.addSession({ pid: 301, user: "bob", uid: 1001, tty: "pts/1" });
        await sleep(1600);
        fake.remove(301).remove(300);
        // A loaded machine may wake the test late: 1-second samples see the session at most once
        // per started second it really lasted.
        const lasted = Date.now() - added;
        const period = Math.floor(start / P6) * P6;
        await waitUntil(() => activePoints().some((p) => p.timestamp > period), 20000, "the next period");
        await d.stop();
        const hit = activePoints().filter((p) => p.timestamp === period);
        assert.equal(hit.length, 1);
        const s = hit[0].statisticValues;
        assert.ok(s);
        assert.equal(s.Maximum, 1, JSON.stringify(s));
        assert.equal(s.Minimum, 0, JSON.stringify(s));
        assert.equal(s.SampleCount, 6);
        assert.ok(s.Sum >= 1 && s.Sum <= Math.floor(lasted / 1000) + 1, `${JSON.stringify(s)} for a session of ${lasted} ms`);
        // The agent's first period counts as in use (the re-arm after a first start): skip it.
        const firstPeriod = Math.min(...activePoints().map((p) => p.timestamp));
        for (const p of activePoints().filter((x) => x.timestamp !== period && x.timestamp !== firstPeriod))
            assert.equal(p.statisticValues?.Maximum, 0);
    });

    it("once publishes one datapoint plus the spooled backlog, with configurable namespace and metric name", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writePublishConfig(fake.root, { instanceId: "i-0abc1234", region: "us-east-1", namespace: "EC2", metricName: "SSH Connections" });
        const env = clientEnv(cw().url);
        cw().failWith({ status: 503, type: "ServiceUnavailable" });
        const f1 = await runAgent(["once", "--config", cfg.path], { env });
        assert.equal(f1.code, 1, "a failed publish is a runtime failure");
        assert.match(f1.stderr, /event=publish_failed/);
        await untilPeriodPhase(100); // next period: a second datapoint, not a merge
        cw().recover();
        const ok = await runAgent(["once", "--config", cfg.path], { env });
        assert.equal(ok.code, 0, ok.stderr);
        const pts = activePoints();
        assert.equal(pts.length, 2, "the spooled point and the new one");
        for (const p of pts) {
            assert.equal(p.namespace, "EC2");
            assert.equal(p.metricName, "SSH Connections");
            assert.deepEqual(p.dimensions, { InstanceId: "i-0abc1234" });
            // One session; on a first start the sample of 1 that re-arms the alarm joins it (agent/src/daemon/boot-rearm.ts).
            const sv = p.statisticValues;
            assert.ok(sv?.Minimum === 1 && sv.Maximum === 1 && sv.Sum === sv.SampleCount, JSON.stringify(sv));
            assert.equal(p.timestamp % P, 0, "period-aligned timestamp");
        }
        assert.notEqual(pts[0].timestamp, pts[1].timestamp);
        assert.ok(cw().requests.every((r) => r.signature.valid && r.signature.region === "us-east-1"));
    });
});
