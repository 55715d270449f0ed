// `run` and `once`: sample every sampleSeconds, one datapoint per publishSeconds period, publish
// with retry/backoff from a persistent backlog, re-arm the alarm at start.
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Backoff } from "./backoff";
import { classifyError, createCloudWatchSink, MetricSink } from "./cloudwatch";
import { PublishConfig } from "./config";
import { PeriodAggregator } from "./datapoint";
import { errorMessage, RuntimeError } from "./errors";
import { ensureDir } from "./fsutil";
import { KnownPids } from "./knownpids";
import { Lock } from "./lock";
import { log } from "./log";
import { Outbox, PublishError } from "./outbox";
import { Sample, takeSample } from "./sample";
import { Spool } from "./spool";
import { readStatus, StatusFile } from "./statusfile";
import { heartbeatSeconds, StatusWriter } from "./statuswriter";

export const REARM_REASON = "idle-stop agent started: fresh idle countdown";
const SHUTDOWN_FLUSH_MS = 5000;

export type SinkFactory = (c: PublishConfig) => Promise<MetricSink>;
const defaultSink: SinkFactory = (c) => createCloudWatchSink(c.region);

function prepareDirs(c: PublishConfig): void {
    try {
        ensureDir(c.stateDir, 0o755);
        if (!existsSync(c.holdsDir)) {
            ensureDir(c.holdsDir);
            chmodSync(c.holdsDir, 0o1777); // any user may add holds; sticky: only owners remove
        }
    } catch (e) {
        throw new RuntimeError(`cannot prepare ${c.stateDir}: ${errorMessage(e)}`);
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
    rearm: StatusFile["rearm"];
    rearmedAt: number | null = null;
    readonly status: StatusWriter;
    /** Non-sshd processes seen by earlier samples (see knownpids.ts). */
    readonly known = new KnownPids();

    constructor(
        readonly c: PublishConfig,
        readonly mode: "run" | "once",
    ) {
        this.outbox = new Outbox(new Spool(join(c.stateDir, "spool.jsonl")));
        this.agg = new PeriodAggregator(c.publishSeconds * 1000, { ns: c.namespace, mn: c.metricName, iid: c.instanceId });
        this.rearm = c.alarmName || c.warningAlarmName ? "pending" : "disabled";
        this.status = new StatusWriter(c.stateDir, heartbeatSeconds(c.sampleSeconds, c.publishSeconds) * 1000);
        const prev = readStatus(c.stateDir);
        if (prev?.lastActiveAt) this.lastActiveAt = Date.parse(prev.lastActiveAt);
        if (prev?.lastPublishAt) this.outbox.lastPublishAt = Date.parse(prev.lastPublishAt);
    }

    sample(now = Date.now()): Sample {
        const s = takeSample(this.c, true, now, this.known);
        this.last = s;
        if (s.active > 0) this.lastActiveAt = now;
        const done = this.agg.add(s.active, now);
        if (done) this.outbox.push(done);
        return s;
    }

    /** Records the daemon's view for `status`; written only when it changed (or forced), see statuswriter.ts. */
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
            rearm: this.rearm,
            rearmedAt: iso(this.rearmedAt),
        };
        try {
            this.status.write(st, now, force);
        } catch (e) {
            log("warn", "status_write_failed", { error: errorMessage(e) });
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
        if (dp) agent.outbox.push(dp);
        log("info", "sampled", { sessions: s.sessions.length, holds: s.holds.length, active: s.active });
        let code = 0;
        try {
            await agent.outbox.flush(sink);
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
    let sampleTimer: NodeJS.Timeout | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let flushing: Promise<void> | null = null;

    log("info", "started", {
        pid: process.pid, instance: c.instanceId, namespace: c.namespace, metric: c.metricName,
        sample_s: c.sampleSeconds, publish_s: c.publishSeconds, backlog: agent.outbox.size, alarm: c.alarmName,
    });

    const publish = (): void => {
        if (flushing || retryTimer || stopping) return;
        if (agent.outbox.size === 0) return;
        flushing = agent.outbox
            .flush(sink)
            .then(() => {
                pubBackoff.reset();
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

    // Samples are aligned to the wall clock (multiples of sampleSeconds). A timer may fire a
    // millisecond early: the sample is then stamped with its intended time, never the period before.
    const tick = (intended: number): void => {
        if (stopping) return;
        const at = Math.max(Date.now(), intended);
        try {
            const before = agent.outbox.size;
            agent.sample(at);
            if (agent.outbox.size > before) publish();
        } catch (e) {
            log("error", "sample_failed", { error: errorMessage(e) });
        }
        agent.writeStatus();
        schedule(at);
    };
    const schedule = (after: number): void => {
        const next = (Math.floor(after / sampleMs) + 1) * sampleMs;
        sampleTimer = setTimeout(() => tick(next), Math.max(0, next - Date.now()));
    };

    // Re-arm: the alarms may still be in ALARM from before this start (actions fire only on a change
    // into ALARM); set them OK so they can fire again. Each alarm retries on its own backoff.
    const rearmTimers = new Set<NodeJS.Timeout>();
    const alarmsToRearm = [c.alarmName, c.warningAlarmName].filter((a): a is string => a !== undefined);
    let rearmsLeft = alarmsToRearm.length;
    for (const alarm of alarmsToRearm) {
        const rearmBackoff = new Backoff(1000, capMs);
        const attempt = (): void => {
            if (stopping) return;
            sink.setAlarmState(alarm, REARM_REASON).then(
                () => {
                    rearmsLeft -= 1;
                    if (rearmsLeft === 0) {
                        agent.rearm = "done";
                        agent.rearmedAt = Date.now();
                    }
                    log("info", "rearmed", { alarm, state: "OK" });
                },
                (e: unknown) => {
                    if (stopping) return;
                    const info = classifyError(e);
                    const wait = rearmBackoff.next();
                    log("warn", "rearm_failed", { alarm, code: info.code, status: info.status, message: info.message, attempt: rearmBackoff.failures, retry_in_ms: wait });
                    const timer = setTimeout(() => {
                        rearmTimers.delete(timer);
                        attempt();
                    }, wait);
                    rearmTimers.add(timer);
                },
            );
        };
        attempt();
    }

    tick(Date.now()); // first sample now, then aligned
    publish(); // backlog from a previous run

    const code = await new Promise<number>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
            if (stopping) return;
            log("info", "stopping", { signal });
            stopping = true;
            clearTimeout(sampleTimer);
            clearTimeout(retryTimer);
            rearmTimers.forEach((timer) => clearTimeout(timer));
            void (async () => {
                const partial = agent.agg.take();
                if (partial) agent.outbox.push(partial);
                const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), SHUTDOWN_FLUSH_MS).unref());
                if (flushing) await Promise.race([flushing, deadline]);
                if (agent.outbox.size > 0) {
                    const r = await Promise.race([agent.outbox.flush(sink).then(() => "ok" as const, (e: unknown) => e), deadline]);
                    if (r !== "ok") {
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
