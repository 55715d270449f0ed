// The daemon against the local CloudWatch endpoint (AWS JSON 1.0, SigV4 verified). Sessions come
// from a synthetic procRoot so the metric is exactly what the test sets up (real-sshd counting is
// covered in sessions-sshd.test.ts). sampleSeconds 1, publishSeconds 3 keep it fast.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clientEnv, CloudWatchEndpoint, Datapoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Daemon, runAgent, writeConfig } from "../support/agent";
import { FakeProc } from "../support/fakeproc";
import { sleep, waitUntil } from "../support/sshd";

const IID = "i-0123456789abcdef0";
const P = 3000;

interface Period {
    t: number;
    n: number;
    sum: number;
    min: number;
    max: number;
    parts: number;
}

/** Datapoints merged per timestamp, the way CloudWatch merges statistic sets. */
function periods(points: Datapoint[]): Period[] {
    const m = new Map<number, Period>();
    for (const d of points) {
        const s = d.statisticValues;
        assert.ok(s, "every datapoint carries StatisticValues");
        const p = m.get(d.timestamp);
        if (!p) m.set(d.timestamp, { t: d.timestamp, n: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, parts: 1 });
        else {
            p.n += s.SampleCount;
            p.sum += s.Sum;
            p.min = Math.min(p.min, s.Minimum);
            p.max = Math.max(p.max, s.Maximum);
            p.parts++;
        }
    }
    return [...m.values()].sort((a, b) => a.t - b.t);
}

/** Periods lying entirely inside [from, to]. */
function inside(ps: Period[], from: number, to: number): Period[] {
    return ps.filter((p) => p.t >= from && p.t + P <= to);
}

function assertContiguous(ps: Period[]): void {
    for (let i = 1; i < ps.length; i++) {
        assert.equal(ps[i].t - ps[i - 1].t, P, `gap between ${new Date(ps[i - 1].t).toISOString()} and ${new Date(ps[i].t).toISOString()}`);
    }
}

async function untilPeriodPhase(offsetMs: number): Promise<void> {
    const now = Date.now();
    let target = Math.floor(now / P) * P + offsetMs;
    if (target <= now) target += P;
    await sleep(target - now);
}

describe("publishing to CloudWatch (local endpoint)", function () {
    this.timeout(120000);
    let cw: CloudWatchEndpoint;
    let daemons: Daemon[] = [];
    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        await cw.close();
    });
    beforeEach(() => cw.reset());
    afterEach(async () => {
        for (const d of daemons) await d.stop("SIGKILL");
        daemons = [];
    });
    // The ActiveSessions pipeline (ConnectedSessions rides along in the same requests; the synthetic
    // sessions are judged by the original rule, sessionIdleSeconds 0: use is covered in activity-sshd.test.ts).
    function activePoints(): Datapoint[] {
        return cw.datapoints().filter((d) => d.metricName !== "ConnectedSessions");
    }
    function daemon(cfgPath: string, extraEnv: Record<string, string> = {}): Daemon {
        const d = new Daemon(cfgPath, clientEnv(cw.url, extraEnv));
        daemons.push(d);
        return d;
    }
    async function waitPeriodsAfter(t: number, n: number): Promise<void> {
        await waitUntil(() => activePoints().filter((d) => d.timestamp >= t).length >= n, 30000, `${n} datapoints after ${new Date(t).toISOString()}`);
    }

    it("publishes one signed datapoint per period: namespace, name, dimension, unit, period-start timestamp, statistics", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 3, procRoot: fake.root, sessionIdleSeconds: 0 });
        const d = daemon(cfg.path);
        await waitPeriodsAfter(0, 3);
        const change = Date.now();
        fake.addSession({ pid: 211, user: "root", uid: 0, tty: null });
        await waitPeriodsAfter(Math.floor(change / P) * P + 2 * P, 1);
        const stopped = await d.stop();
        assert.deepEqual(stopped, { code: 0, signal: null }, d.stderr);

        assert.ok(cw.requests.length > 0);
        for (const r of cw.requests) {
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
        const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 6, procRoot: fake.root, sessionIdleSeconds: 0 });
        const d = daemon(cfg.path);
        await sleep(500);
        const now = Date.now();
        let start = Math.floor(now / P6) * P6 + P6 + 2000;
        if (start - now < 1000) start += P6;
        await sleep(start - Date.now());
        fake.addSession({ pid: 301, user: "bob", uid: 1001, tty: "pts/1" });
        await sleep(1600);
        fake.remove(301).remove(300);
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
        assert.ok(s.Sum >= 1 && s.Sum <= 2, JSON.stringify(s));
        // The agent's first period counts as in use (the re-arm after a first start): skip it.
        const firstPeriod = Math.min(...activePoints().map((p) => p.timestamp));
        for (const p of activePoints().filter((x) => x.timestamp !== period && x.timestamp !== firstPeriod)) assert.equal(p.statisticValues?.Maximum, 0);
    });

    it("loses no period through 5xx and throttling across several periods and an agent restart", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 3, procRoot: fake.root, sessionIdleSeconds: 0 });
        cw.failWith({ status: 503, type: "ServiceUnavailable", message: "down for a test" }, { operations: ["PutMetricData"] });
        const t0 = Date.now();
        const a = daemon(cfg.path);
        await sleep(5000);
        cw.failWith({ status: 400, type: "ThrottlingException", message: "Rate exceeded" }, { operations: ["PutMetricData"] });
        await sleep(3500);
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
        assert.equal(cw.accepted("PutMetricData").length, 0);

        const bStart = Date.now();
        const b = daemon(cfg.path);
        await waitUntil(() => b.events("started").length > 0, 10000, "restart");
        assert.match(b.events("started")[0], new RegExp(`backlog=${spooled}\\b`));
        await sleep(3000);
        fake.remove(211);
        const s2end = Date.now();
        const recoveredAt = Date.now();
        cw.recover();
        await waitUntil(() => {
            const st = JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { backlog: number; lastPublishAt: string | null };
            return st.backlog === 0 && st.lastPublishAt !== null && Date.parse(st.lastPublishAt) >= recoveredAt;
        }, 30000, "backlog delivered");
        await waitPeriodsAfter(Math.floor(Date.now() / P) * P, 1);
        assert.deepEqual(await b.stop("SIGTERM"), { code: 0, signal: null }, b.stderr);

        const accepted = cw.accepted("PutMetricData");
        assert.ok(accepted.every((r) => r.at >= recoveredAt), "nothing got through during the outage");
        assert.ok(accepted.some((r) => (r.params.MetricData as unknown[]).length > 1), "the backlog went out in batches");
        assert.ok(cw.requests.every((r) => r.signature.valid));
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
        for (const p of ps) assert.ok(p.n <= (p.parts === 1 ? 3 : 4) + (firstOfRun(p) ? 1 : 0), `period ${new Date(p.t).toISOString()} has SampleCount ${p.n}`);
        const full = ps.slice(1, -1).filter((p) => p.parts === 1 && !firstOfRun(p));
        assert.ok(full.filter((p) => p.n === 3).length >= full.length - 1, JSON.stringify(ps));
        for (const p of inside(ps, s2 + 1000, s2end - 1000)) assert.equal(p.max, 2, `session added during the outage, period ${new Date(p.t).toISOString()}`);
        for (const p of inside(ps, 0, s2 - 1000)) assert.equal(p.max, 1);
        assert.ok(!existsSync(spool) || readFileSync(spool, "utf8").trim() === "", "spool emptied after delivery");
    });

    it("re-arms by publishing, never through the alarm API: the first period after a first start or a fresh boot counts as in use, a restart within the boot does not", async () => {
        const fake = new FakeProc().withListener(); // nobody logged in: every real sample is 0
        // alarmName/warningAlarmName are still accepted (older configs) but must not lead to any alarm call.
        const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 3, procRoot: fake.root, alarmName: "a-idle", warningAlarmName: "a-warning", idleMinutes: 15 });
        const bootIdFile = join(cfg.stateDir, "boot-id");
        const realBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
        /** Starts a daemon, waits for its first two datapoints, stops it; returns them (oldest first). */
        async function firstPeriods(): Promise<{ d: Daemon; pts: Datapoint[] }> {
            const from = activePoints().length;
            const d = daemon(cfg.path);
            await waitUntil(() => activePoints().length >= from + 2, 30000, "two datapoints");
            assert.deepEqual(await d.stop(), { code: 0, signal: null }, d.stderr);
            return { d, pts: activePoints().slice(from).sort((a, b) => a.timestamp - b.timestamp) };
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

        assert.deepEqual([...new Set(cw.requests.map((r) => r.operation))], ["PutMetricData"], "no SetAlarmState, no other call");
    });

    it("once publishes one datapoint plus the spooled backlog, with configurable namespace and metric name", async () => {
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const cfg = writeConfig({ instanceId: "i-0abc1234", region: "us-east-1", namespace: "EC2", metricName: "SSH Connections", sampleSeconds: 1, publishSeconds: 3, procRoot: fake.root, sessionIdleSeconds: 0 });
        const env = clientEnv(cw.url);
        cw.failWith({ status: 503, type: "ServiceUnavailable" });
        const f1 = await runAgent(["once", "--config", cfg.path], { env });
        assert.equal(f1.code, 1, "a failed publish is a runtime failure");
        assert.match(f1.stderr, /event=publish_failed/);
        await untilPeriodPhase(100); // next period: a second datapoint, not a merge
        cw.recover();
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
            assert.ok(sv && sv.Minimum === 1 && sv.Maximum === 1 && sv.Sum === sv.SampleCount, JSON.stringify(sv));
            assert.equal(p.timestamp % P, 0, "period-aligned timestamp");
        }
        assert.notEqual(pts[0].timestamp, pts[1].timestamp);
        assert.ok(cw.requests.every((r) => r.signature.valid && r.signature.region === "us-east-1"));
    });
});
