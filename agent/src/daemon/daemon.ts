// `run` and `once`: sample every sampleSeconds, one datapoint per publishSeconds period, publish
// with retry/backoff from a persistent backlog; the first period after a boot re-arms the alarm
// (boot-rearm.ts).
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { AgentActivity, seedFromStatus } from "./activity";
import { Backoff } from "../system/backoff";
import { BootRearm } from "./boot-rearm";
import { createCloudWatchSink, MetricSink } from "../publish/cloudwatch";
import { PublishConfig } from "../config";
import { Datapoint, PeriodAggregator } from "../publish/datapoint";
import { errorMessage, RuntimeError } from "../../../common/errors";
import { ensureDir } from "../system/fs-util";
import { KnownPids } from "../system/known-pids";
import { Lock } from "./lock";
import { log } from "../system/log";
import { Outbox, PublishError } from "../publish/outbox";
import { Sample, takeSample } from "../signals/sample";
import { SampleScheduler } from "./scheduler";
import { Spool } from "../publish/spool";
import { readStatus, StatusFile } from "./status-file";
import { heartbeatSeconds, StatusWriter } from "./status-writer";

const SHUTDOWN_FLUSH_MS = 5000;

export type SinkFactory = (c: PublishConfig) => Promise<MetricSink>;
const defaultSink: SinkFactory = (c) => createCloudWatchSink(c.region);

function prepareDirs(c: PublishConfig): void {
    try {
        ensureDir(c.stateDir, 0o755);
    } catch (e) {
        throw new RuntimeError(`cannot prepare ${c.stateDir}: ${errorMessage(e)}`);
    }
    try {
        if (!existsSync(c.holdsDir)) {
            ensureDir(c.holdsDir);
            chmodSync(c.holdsDir, 0o1777); // any user may add holds; sticky: only owners remove
        }
    } catch (e) {
        // Not fatal (a full disk cannot take a new directory): sessions still count.
        log("warn", "holds_dir_unavailable", { path: c.holdsDir, error: errorMessage(e) });
    }
}

function iso(ms: number | null): string | null {
    return ms === null ? null : new Date(ms).toISOString();
}

class Agent {
    readonly startedAt = Date.now();
    readonly outbox: Outbox;
    readonly agg: PeriodAggregator;
    lastActiveAt: number | null = null;
    last: Sample | null = null;
    readonly boot: BootRearm;
    statusFailing = false;
    readonly activity: AgentActivity;
    readonly status: StatusWriter;
    /** Non-sshd processes seen by earlier samples (see system/known-pids.ts). */
    readonly known = new KnownPids();

    constructor(
        readonly c: PublishConfig,
        readonly mode: "run" | "once",
    ) {
        this.outbox = new Outbox(new Spool(join(c.stateDir, "spool.jsonl")));
        this.agg = new PeriodAggregator(c.publishSeconds * 1000, { ns: c.namespace, mn: c.metricName, iid: c.instanceId });
        this.boot = BootRearm.check(c.stateDir);
        this.status = new StatusWriter(c.stateDir, heartbeatSeconds(c.sampleSeconds, c.publishSeconds) * 1000);
        const prev = readStatus(c.stateDir);
        if (prev?.lastActiveAt) this.lastActiveAt = Date.parse(prev.lastActiveAt);
        if (prev?.lastPublishAt) this.outbox.lastPublishAt = Date.parse(prev.lastPublishAt);
        this.activity = new AgentActivity(c, this.startedAt, seedFromStatus(prev));
    }

    sample(now = Date.now()): Sample {
        const s = takeSample(this.c, true, now, this.activity.tracker, this.known);
        this.last = s;
        if (s.active > 0) this.lastActiveAt = now;
        if (this.boot.takeExtraSample()) this.agg.add(1, now);
        const done = this.agg.add(s.active, now);
        if (done) this.pushPeriod(done);
        const connected = this.activity.add(s); // same period, same request as ActiveSessions
        if (connected) this.outbox.push(connected);
        this.activity.afterSample(s.active > 0 ? null : Math.max(this.lastActiveAt ?? 0, this.startedAt), now);
        return s;
    }

    pushPeriod(dp: Datapoint): void {
        this.outbox.push(dp);
        this.boot.periodClosed();
    }

    /** After the backlog was delivered completely. */
    delivered(): void {
        if (this.boot.delivered()) log("info", "rearmed", { reason: this.boot.reason ?? undefined, how: "first period counted as in use" });
    }

    /** Records the daemon's view for `status`; written only when it changed (or forced), see status-writer.ts. */
    writeStatus(force = false): void {
        const now = Date.now();
        const s = this.last;
        const idleSince = s && s.active > 0 ? null : Math.max(this.lastActiveAt ?? 0, this.startedAt);
        const st: StatusFile = {
            version: 1,
            pid: process.pid,
            mode: this.mode,
            startedAt: new Date(this.startedAt).toISOString(),
            updatedAt: new Date(now).toISOString(),
            instanceId: this.c.instanceId,
            namespace: this.c.namespace,
            metricName: this.c.metricName,
            sampleSeconds: this.c.sampleSeconds,
            publishSeconds: this.c.publishSeconds,
            heartbeatSeconds: heartbeatSeconds(this.c.sampleSeconds, this.c.publishSeconds),
            alarmName: this.c.alarmName ?? null,
            idleMinutes: this.c.idleMinutes ?? null,
            sessions: s?.sessions.length ?? 0,
            holds: s?.holds.length ?? 0,
            active: s?.active ?? 0,
            lastActiveAt: iso(this.lastActiveAt),
            idleSince: iso(idleSince),
            lastPublishAt: iso(this.outbox.lastPublishAt),
            lastError: this.outbox.lastError,
            backlog: this.outbox.size,
            oldestBacklog: iso(this.outbox.oldest),
            rearm: this.boot.state,
            rearmedAt: iso(this.boot.rearmedAt),
            ...this.activity.status(s),
        };
        try {
            this.status.write(st, now, force);
            this.statusFailing = false;
        } catch (e) {
            // Once per failing stretch: a full disk would otherwise log every sample.
            if (!this.statusFailing) log("warn", "status_write_failed", { error: errorMessage(e) });
            this.statusFailing = true;
        }
    }
}

/** `once`: sample, publish this period's datapoint plus any backlog, exit. */
export async function runOnce(c: PublishConfig, sinkFactory: SinkFactory = defaultSink): Promise<number> {
    prepareDirs(c);
    const lock = Lock.acquire(c.stateDir);
    const sink = await sinkFactory(c);
    try {
        const agent = new Agent(c, "once");
        const s = agent.sample();
        const dp = agent.agg.take();
        if (dp) agent.pushPeriod(dp);
        const connected = agent.activity.connected.take();
        if (connected) agent.outbox.push(connected);
        log("info", "sampled", { sessions: s.sessions.length, holds: s.holds.length, active: s.active });
        let code = 0;
        try {
            await agent.outbox.flush(sink);
            agent.delivered();
        } catch (e) {
            const msg = e instanceof PublishError ? e.message : errorMessage(e);
            agent.outbox.lastError = msg;
            log("error", "publish_failed", { error: msg, backlog: agent.outbox.size });
            code = 1;
        }
        agent.writeStatus(true);
        return code;
    } finally {
        sink.close();
        lock.release();
    }
}

/** `run`: the daemon. Resolves with the exit code after SIGTERM/SIGINT. */
export async function runDaemon(c: PublishConfig, sinkFactory: SinkFactory = defaultSink): Promise<number> {
    prepareDirs(c);
    const lock = Lock.acquire(c.stateDir);
    let sink: MetricSink;
    try {
        sink = await sinkFactory(c);
    } catch (e) {
        lock.release();
        throw e;
    }
    const agent = new Agent(c, "run");
    const sampleMs = c.sampleSeconds * 1000;
    const capMs = Math.min(300_000, Math.max(10_000, 2 * c.publishSeconds * 1000));
    const pubBackoff = new Backoff(1000, capMs);
    let stopping = false;
    let retryTimer: NodeJS.Timeout | undefined;
    let flushing: Promise<void> | null = null;

    log("info", "started", {
        pid: process.pid, instance: c.instanceId, namespace: c.namespace, metric: c.metricName,
        sample_s: c.sampleSeconds, publish_s: c.publishSeconds, backlog: agent.outbox.size, rearm: agent.boot.reason ?? "no",
    });

    const publish = (): void => {
        if (flushing || retryTimer || stopping) return;
        if (agent.outbox.size === 0) return;
        flushing = agent.outbox
            .flush(sink)
            .then(() => {
                pubBackoff.reset();
                agent.delivered();
                agent.writeStatus();
            })
            .catch((e: unknown) => {
                const msg = e instanceof PublishError ? e.message : errorMessage(e);
                agent.outbox.lastError = msg;
                if (stopping) return;
                const wait = pubBackoff.next();
                log("warn", "publish_failed", { error: msg, backlog: agent.outbox.size, attempt: pubBackoff.failures, retry_in_ms: wait });
                retryTimer = setTimeout(() => {
                    retryTimer = undefined;
                    publish();
                }, wait);
            })
            .finally(() => {
                flushing = null;
            });
    };

    // Samples at wall-clock multiples of sampleSeconds, timed on the monotonic clock (scheduler.ts).
    let lastSampleError: string | null = null;
    const scheduler = new SampleScheduler(sampleMs, (at) => {
        try {
            const before = agent.outbox.size;
            agent.sample(at);
            if (agent.outbox.size > before) publish();
            lastSampleError = null;
        } catch (e) {
            // Once per distinct failure (a hidden /proc fails every sample): no datapoint is made.
            const msg = errorMessage(e);
            if (msg !== lastSampleError) log("error", "sample_failed", { error: msg, effect: "nothing published for this sample" });
            lastSampleError = msg;
        }
        agent.writeStatus();
    }, (j) => log("warn", "clock_jump", { jump_ms: j.jumpMs, effect: "sampling re-aligned to the new wall clock" }));

    scheduler.start(); // first sample now, then aligned
    publish(); // backlog from a previous run

    const code = await new Promise<number>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
            if (stopping) return;
            log("info", "stopping", { signal });
            stopping = true;
            scheduler.stop();
            clearTimeout(retryTimer);
            void (async () => {
                const partial = agent.agg.take();
                if (partial) agent.pushPeriod(partial);
                const connected = agent.activity.connected.take();
                if (connected) agent.outbox.push(connected);
                const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), SHUTDOWN_FLUSH_MS).unref());
                if (flushing) await Promise.race([flushing, deadline]);
                if (agent.outbox.size > 0) {
                    const r = await Promise.race([agent.outbox.flush(sink).then(() => "ok" as const, (e: unknown) => e), deadline]);
                    if (r === "ok") agent.delivered();
                    else {
                        const msg = r === "timeout" ? "timed out" : r instanceof Error ? r.message : String(r);
                        log("warn", "final_flush_failed", { error: msg, backlog_kept: agent.outbox.size });
                    }
                }
                agent.writeStatus(true);
                log("info", "stopped", { backlog: agent.outbox.size });
                resolve(0);
            })();
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
    });
    sink.close();
    lock.release();
    return code;
}
