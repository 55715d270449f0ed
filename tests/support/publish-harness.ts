// The harness of the daemon-against-the-local-CloudWatch-endpoint tests (tests/agent/publish*.test.ts):
// datapoints merged per period the way CloudWatch merges statistic sets, and the hooks that start
// the endpoint and stop every daemon a test started. sampleSeconds 1, publishSeconds 3 keep it fast.
import * as assert from "node:assert/strict";
import { clientEnv, CloudWatchEndpoint, Datapoint, startCloudWatchEndpoint } from "./cloudwatch-endpoint";
import { AgentConfig, Daemon, writeConfig } from "./agent";
import { sleep, waitUntil } from "./sshd";

export const IID = "i-0123456789abcdef0";
/** The publish period of these tests, ms. */
export const P = 3000;

/** agent.json of these tests: samples every second, a period of P, the given /proc, and a session counts while connected. */
export function writePublishConfig(procRoot: string, extra: AgentConfig = {}): ReturnType<typeof writeConfig> {
    return writeConfig({
        instanceId: IID,
        region: "eu-west-1",
        sampleSeconds: 1,
        publishSeconds: P / 1000,
        procRoot,
        sessionIdleSeconds: 0,
        ...extra,
    });
}

export interface Period {
    t: number;
    n: number;
    sum: number;
    min: number;
    max: number;
    parts: number;
}

/** Datapoints merged per timestamp, the way CloudWatch merges statistic sets. */
export function periods(points: Datapoint[]): Period[] {
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
export function inside(ps: Period[], from: number, to: number): Period[] {
    return ps.filter((p) => p.t >= from && p.t + P <= to);
}

export function assertContiguous(ps: Period[]): void {
    for (let i = 1; i < ps.length; i++) {
        assert.equal(ps[i].t - ps[i - 1].t, P, `gap between ${new Date(ps[i - 1].t).toISOString()} and ${new Date(ps[i].t).toISOString()}`);
    }
}

export async function untilPeriodPhase(offsetMs: number): Promise<void> {
    const now = Date.now();
    let target = Math.floor(now / P) * P + offsetMs;
    if (target <= now) target += P;
    await sleep(target - now);
}

export interface PublishHarness {
    cw: () => CloudWatchEndpoint;
    /** The ActiveSessions pipeline's datapoints (ConnectedSessions rides along in the same requests). */
    activePoints: () => Datapoint[];
    /** Starts a daemon against the endpoint; stopped after the test. */
    daemon: (cfgPath: string, extraEnv?: Record<string, string>) => Daemon;
    waitPeriodsAfter: (t: number, n: number) => Promise<void>;
}

/** Registers the calling describe's hooks: the endpoint (reset before each test), daemons stopped after each. */
export function usePublishHarness(): PublishHarness {
    let cw: CloudWatchEndpoint | undefined;
    let daemons: Daemon[] = [];
    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        await cw?.close();
    });
    beforeEach(() => cw?.reset());
    afterEach(async () => {
        for (const d of daemons) await d.stop("SIGKILL");
        daemons = [];
    });
    const theCw = (): CloudWatchEndpoint => cw ?? assert.fail("CloudWatch endpoint not started");
    // The synthetic sessions are judged by the original rule, sessionIdleSeconds 0: use is covered in activity-sshd-*.test.ts.
    function activePoints(): Datapoint[] {
        return theCw()
            .datapoints()
            .filter((d) => d.metricName !== "ConnectedSessions" && d.metricName !== "KeptUpBy"); // the configured metric only
    }
    function daemon(cfgPath: string, extraEnv: Record<string, string> = {}): Daemon {
        const d = new Daemon(cfgPath, clientEnv(theCw().url, extraEnv));
        daemons.push(d);
        return d;
    }
    async function waitPeriodsAfter(t: number, n: number): Promise<void> {
        await waitUntil(
            () => activePoints().filter((d) => d.timestamp >= t).length >= n,
            30000,
            `${n} datapoints after ${new Date(t).toISOString()}`,
        );
    }
    return { cw: theCw, activePoints, daemon, waitPeriodsAfter };
}
