// What once and run keep between samples: the period aggregator and the outbox (with its spool),
// the boot re-arm (boot-rearm.ts), the use signals' memory (activity.ts), the known pids, and the
// status file. A sample goes in through sample(); finished datapoints go to the outbox.
import { join } from "node:path";
import { errorMessage } from "../../../common/errors";
import { PublishConfig } from "../config";
import { Datapoint, PeriodAggregator } from "../publish/datapoint";
import { Outbox } from "../publish/outbox";
import { Spool } from "../publish/spool";
import { Sample, takeSample } from "../signals/sample";
import { Clock } from "../system/clock";
import { KnownPids } from "../system/known-pids";
import { log } from "../system/log";
import { AgentActivity, busySeedFromStatus, seedFromStatus } from "./activity";
import { BootRearm } from "./boot-rearm";
import { readStatus, StatusFile } from "./status-file";
import { heartbeatSeconds, StatusWriter } from "./status-writer";

function iso(ms: number | null): string | null {
    return ms === null ? null : new Date(ms).toISOString();
}

export class AgentState {
    readonly startedAt: number;
    readonly outbox: Outbox;
    readonly agg: PeriodAggregator;
    readonly boot: BootRearm;
    readonly activity: AgentActivity;
    /** Non-sshd processes seen by earlier samples (see system/known-pids.ts). */
    readonly known = new KnownPids();
    private readonly status: StatusWriter;
    private lastActiveAt: number | null = null;
    private last: Sample | null = null;
    private statusFailing = false;

    constructor(
        readonly c: PublishConfig,
        readonly mode: "run" | "once",
        private readonly clock: Clock,
    ) {
        this.startedAt = clock.wall();
        this.outbox = new Outbox(new Spool(join(c.stateDir, "spool.jsonl")), () => clock.wall());
        this.agg = new PeriodAggregator(c.publishSeconds * 1000, { ns: c.namespace, mn: c.metricName, iid: c.instanceId });
        this.boot = BootRearm.check(c.stateDir);
        this.status = new StatusWriter(c.stateDir, heartbeatSeconds(c.sampleSeconds, c.publishSeconds) * 1000);
        const prev = readStatus(c.stateDir);
        if (prev?.lastActiveAt) this.lastActiveAt = Date.parse(prev.lastActiveAt);
        if (prev?.lastPublishAt) this.outbox.lastPublishAt = Date.parse(prev.lastPublishAt);
        this.activity = new AgentActivity(c, this.startedAt, seedFromStatus(prev), mode, mode === "run" ? busySeedFromStatus(prev) : {});
    }

    sample(now = this.clock.wall()): Sample {
        const s = takeSample(this.c, true, now, this.activity.tracker, this.known);
        this.last = s;
        if (s.active > 0) this.lastActiveAt = now;
        if (this.boot.takeExtraSample()) this.agg.add(1, now);
        const done = this.agg.add(s.active, now);
        if (done) this.pushPeriod(done);
        // ConnectedSessions and KeptUpBy: same period, pushed right after ActiveSessions, so the same request.
        for (const dp of this.activity.add(s)) this.outbox.push(dp);
        this.activity.afterSample(this.idleSince(), now);
        return s;
    }

    /** The current periods (ActiveSessions, ConnectedSessions, KeptUpBy), partial or not, into the outbox. */
    closePeriods(): void {
        const partial = this.agg.take();
        if (partial) this.pushPeriod(partial);
        for (const dp of this.activity.take()) this.outbox.push(dp);
    }

    private pushPeriod(dp: Datapoint): void {
        this.outbox.push(dp);
        this.boot.periodClosed();
    }

    /** After the backlog was delivered completely. */
    delivered(): void {
        if (this.boot.delivered(this.clock.wall()))
            log("info", "rearmed", { reason: this.boot.reason ?? undefined, how: "first period counted as in use" });
    }

    /** Start of the current idle stretch (never before the agent started), or null while in use. */
    private idleSince(): number | null {
        return this.last && this.last.active > 0 ? null : Math.max(this.lastActiveAt ?? 0, this.startedAt);
    }

    /** Records the agent's view for `status`; written only when it changed (or forced), see status-writer.ts. */
    writeStatus(force = false): void {
        const now = this.clock.wall();
        try {
            this.status.write(this.statusRecord(now), now, force);
            this.statusFailing = false;
        } catch (e) {
            // Once per failing stretch: a full disk would otherwise log every sample.
            if (!this.statusFailing) log("warn", "status_write_failed", { error: errorMessage(e) });
            this.statusFailing = true;
        }
    }

    private statusRecord(now: number): StatusFile {
        const s = this.last;
        return {
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
            idleSince: iso(this.idleSince()),
            lastPublishAt: iso(this.outbox.lastPublishAt),
            lastError: this.outbox.lastError,
            backlog: this.outbox.size,
            oldestBacklog: iso(this.outbox.oldest),
            rearm: this.boot.state,
            rearmedAt: iso(this.boot.rearmedAt),
            ...this.activity.status(s),
        };
    }
}
