// `run`: the daemon. Samples every sampleSeconds on the scheduler's grid (scheduler.ts), one
// datapoint per publishSeconds period, publishes with retry/backoff from a persistent backlog, and
// on SIGTERM/SIGINT publishes the partial period and exits. The first period after a boot re-arms
// the alarm (boot-rearm.ts).
import { errorMessage } from "../../../common/errors";
import { PublishConfig } from "../config";
import { MetricSink } from "../publish/metric-sink";
import { PublishError } from "../publish/outbox";
import { Backoff } from "../system/backoff";
import { Clock } from "../system/clock";
import { log } from "../system/log";
import { AgentState } from "./agent-state";
import { prepareDirs } from "./dirs";
import { Lock } from "./lock";
import { openSink, PublishOptions } from "./options";
import { SampleScheduler } from "./scheduler";

/** How long a stopping daemon may spend delivering what is left. */
const SHUTDOWN_FLUSH_MS = 5000;

/** Resolves with the exit code after SIGTERM/SIGINT. */
export async function runDaemon(c: PublishConfig, o: PublishOptions): Promise<number> {
    prepareDirs(c);
    const lock = Lock.acquire(c.stateDir);
    let sink: MetricSink;
    try {
        sink = await openSink(c, o);
    } catch (e) {
        lock.release();
        throw e;
    }
    const code = await new Daemon(c, sink, o.clock).run();
    sink.close();
    lock.release();
    return code;
}

class Daemon {
    private readonly agent: AgentState;
    private readonly backoff: Backoff;
    private readonly scheduler: SampleScheduler;
    private stopping = false;
    private retryTimer: NodeJS.Timeout | undefined;
    private flushing: Promise<void> | null = null;
    private lastSampleError: string | null = null;

    constructor(
        private readonly c: PublishConfig,
        private readonly sink: MetricSink,
        clock: Clock,
    ) {
        this.agent = new AgentState(c, "run", clock);
        this.backoff = new Backoff(1000, Math.min(300_000, Math.max(10_000, 2 * c.publishSeconds * 1000)));
        this.scheduler = new SampleScheduler(
            c.sampleSeconds * 1000,
            (at) => this.tick(at),
            (j) => log("warn", "clock_jump", { jump_ms: j.jumpMs, effect: "sampling re-aligned to the new wall clock" }),
            clock,
        );
    }

    /** Samples and publishes until SIGTERM/SIGINT; resolves with the exit code once stopped. */
    run(): Promise<number> {
        const c = this.c;
        log("info", "started", {
            pid: process.pid,
            instance: c.instanceId,
            namespace: c.namespace,
            metric: c.metricName,
            sample_s: c.sampleSeconds,
            publish_s: c.publishSeconds,
            backlog: this.agent.outbox.size,
            rearm: this.agent.boot.reason ?? "no",
        });
        this.scheduler.start(); // first sample now, then aligned
        this.publish(); // backlog from a previous run
        return new Promise<number>((resolve) => {
            const stop = (signal: NodeJS.Signals): void => {
                if (this.stopping) return;
                void this.stop(signal).then(resolve);
            };
            process.on("SIGTERM", stop);
            process.on("SIGINT", stop);
        });
    }

    /** One sample on the scheduler's grid; a new datapoint starts a publish. */
    private tick(at: number): void {
        const agent = this.agent;
        try {
            const before = agent.outbox.size;
            agent.sample(at);
            if (agent.outbox.size > before) this.publish();
            this.lastSampleError = null;
        } catch (e) {
            // Once per distinct failure (a hidden /proc fails every sample): no datapoint is made.
            const msg = errorMessage(e);
            if (msg !== this.lastSampleError) log("error", "sample_failed", { error: msg, effect: "nothing published for this sample" });
            this.lastSampleError = msg;
        }
        agent.writeStatus();
    }

    /** Delivers the backlog unless a delivery or a retry is under way. */
    private publish(): void {
        if (this.flushing || this.retryTimer || this.stopping) return;
        if (this.agent.outbox.size === 0) return;
        this.flushing = this.agent.outbox
            .flush(this.sink)
            .then(() => {
                this.backoff.reset();
                this.agent.delivered();
                this.agent.writeStatus();
            })
            .catch((e: unknown) => this.publishFailed(e))
            .finally(() => {
                this.flushing = null;
            });
    }

    /** Keeps the backlog and retries after a backoff (not while stopping). */
    private publishFailed(e: unknown): void {
        const msg = e instanceof PublishError ? e.message : errorMessage(e);
        this.agent.outbox.lastError = msg;
        if (this.stopping) return;
        const wait = this.backoff.next();
        log("warn", "publish_failed", { error: msg, backlog: this.agent.outbox.size, attempt: this.backoff.failures, retry_in_ms: wait });
        this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.publish();
        }, wait);
    }

    /** Stops sampling, closes the partial period and delivers what it can within SHUTDOWN_FLUSH_MS. */
    private async stop(signal: NodeJS.Signals): Promise<number> {
        log("info", "stopping", { signal });
        this.stopping = true;
        this.scheduler.stop();
        clearTimeout(this.retryTimer);
        const agent = this.agent;
        agent.closePeriods();
        const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), SHUTDOWN_FLUSH_MS).unref());
        if (this.flushing) await Promise.race([this.flushing, deadline]);
        if (agent.outbox.size > 0) {
            const r = await Promise.race([
                agent.outbox.flush(this.sink).then(
                    () => "ok" as const,
                    (e: unknown) => e,
                ),
                deadline,
            ]);
            if (r === "ok") agent.delivered();
            else {
                const msg = r === "timeout" ? "timed out" : r instanceof Error ? r.message : String(r);
                log("warn", "final_flush_failed", { error: msg, backlog_kept: agent.outbox.size });
            }
        }
        agent.writeStatus(true);
        log("info", "stopped", { backlog: agent.outbox.size });
        return 0;
    }
}
