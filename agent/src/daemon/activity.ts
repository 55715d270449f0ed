// What the daemon (and `once`) keeps about use across samples: the activity tracker, the
// ConnectedSessions and KeptUpBy datapoints (published in the same request as ActiveSessions), the
// warning on the box, and the per-session and per-signal view written to the status file. Kept
// out of agent-state.ts so the publishing loop only calls in at three points.
import { Config } from "../config";
import { Datapoint, PeriodAggregator } from "../publish/datapoint";
import { log } from "../system/log";
import { activitySettings, Sample } from "../signals/sample";
import { ActivityTracker, BusySeed } from "../signals/activity-tracker";
import { Seed, sessionKey, UseBasis } from "../signals/session-use";
import { keptUpList } from "../signals/signal";
import { KeptUpAggregator } from "./kept-up-metric";
import { ScheduledStopWarning } from "./scheduled-stop";
import { signalsOn, StopWarning } from "./stop-warning";
import { CONNECTED_SESSIONS_METRIC, KeptUp, KeptUpSignal } from "../../../common/metric";

/** Per-session view in the status file (what `status` shows for sessions it cannot judge itself). */
interface SessionUseRecord {
    pid: number;
    since: string;
    inUse: boolean;
    idleSeconds: number | null;
    lastActivityAt: string | null;
    by: UseBasis;
    /** Why a session without a terminal counts while connected (its traffic cannot be measured). */
    reason?: string;
}

export interface UseStatus {
    connected: number;
    sessionIdleSeconds: number;
    sessionUse: SessionUseRecord[];
    otherTerminalsInUse: number;
    cpuPercent: number | null;
    traffic: "ok" | "unavailable" | "not measured";
    /** What keeps the box up per the last sample, one entry per reason (what `status --json` shows). */
    keptUpBy: KeptUp[];
    /** What each kind in keptUpBy adds to active (so `status` can add the kinds only the daemon measures). */
    keptUpAdds: Partial<Record<KeptUpSignal, number>>;
    lastWarning: { at: string; stopAt: string; error: string | null } | null;
    /** Last-busy times of busy processes, GPUs, CPU and transfers still in their window (ms since the epoch): a restarted daemon keeps counting them. */
    lastBusy?: BusySeed;
}

/** The daemon's last-busy times from a status file, for a restarted daemon; malformed entries are left out. */
export function busySeedFromStatus(prev: Partial<UseStatus> | null | undefined): BusySeed {
    const b = prev?.lastBusy;
    if (typeof b !== "object" || b === null) return {};
    const list = <V>(v: unknown): Array<{ key: string; at: number; value: V }> =>
        Array.isArray(v)
            ? v.filter((e: unknown): e is { key: string; at: number; value: V } => {
                  const x = e as { key?: unknown; at?: unknown; value?: unknown } | null;
                  return typeof x?.key === "string" && typeof x.at === "number" && Number.isFinite(x.at) && x.value !== undefined;
              })
            : [];
    const t = b.transfer;
    const transfer = t && typeof t.at === "number" && typeof t.bytesPerMinute === "number" ? t : null;
    return { process: list(b.process), gpu: list(b.gpu), cpu: list(b.cpu), transfer };
}

/** The daemon's traffic credits from a status file, for a restarted daemon or `status`. */
export function seedFromStatus(prev: Partial<UseStatus> | null | undefined): Map<string, number> {
    const seed = new Map<string, number>();
    for (const r of prev?.sessionUse ?? []) {
        if (r.by === "traffic" && r.lastActivityAt) seed.set(sessionKey(r), Date.parse(r.lastActivityAt));
    }
    return seed;
}

export class AgentActivity {
    readonly tracker: ActivityTracker;
    readonly connected: PeriodAggregator;
    readonly keptUp: KeptUpAggregator;
    private readonly warning: StopWarning;
    /** The warning before a fixed stop time (stopAt), when there is one. */
    private readonly scheduledWarning: ScheduledStopWarning | null;
    private lastWarning: UseStatus["lastWarning"] = null;

    constructor(
        private readonly c: Config & { instanceId: string },
        startedAt: number,
        seed: Seed,
        mode: "run" | "once" = "run",
        busySeed: BusySeed = {},
    ) {
        const opts = {
            measureTraffic: true,
            startedAt,
            seed,
            onTrafficError: (error: string) =>
                log("warn", "traffic_unavailable", { error, effect: "sessions without a terminal count while connected" }),
            onSocketsUnseen: (error: string) => log("warn", "ssh_sockets_unseen", { error, fix: "sshPorts" }),
        };
        // `once` takes a single sample: nothing to measure busy processes or the GPU over.
        this.tracker = new ActivityTracker(activitySettings(c), opts, mode === "run", busySeed);
        this.connected = new PeriodAggregator(c.publishSeconds * 1000, { ns: c.namespace, mn: CONNECTED_SESSIONS_METRIC, iid: c.instanceId });
        this.keptUp = new KeptUpAggregator(c.publishSeconds * 1000, { ns: c.namespace, iid: c.instanceId });
        this.warning = new StopWarning(c.warnMinutes, c.idleMinutes, signalsOn(c));
        this.scheduledWarning = c.stopAt !== undefined ? new ScheduledStopWarning(c) : null;
    }

    /** ConnectedSessions and KeptUpBy for this sample; returns the finished period's datapoints (ConnectedSessions first). */
    add(s: Sample): Datapoint[] {
        const connected = this.connected.add(s.use.connected, s.at);
        const kept = this.keptUp.add(s.keptUp, s.at);
        return connected ? [connected, ...kept] : kept;
    }

    /** The current periods of ConnectedSessions and KeptUpBy, partial or not. */
    take(): Datapoint[] {
        const connected = this.connected.take();
        return [...(connected ? [connected] : []), ...this.keptUp.take()];
    }

    /** After each sample: warn the terminals when the idle stop (once per idle stretch) or the scheduled stop is near. */
    afterSample(idleSince: number | null, now: number): void {
        const record =
            (kind: string) =>
            ({ stopAt, error }: { stopAt: number; error?: string }) => {
                this.lastWarning = { at: new Date(now).toISOString(), stopAt: new Date(stopAt).toISOString(), error: error ?? null };
                if (error) log("warn", "warning_failed", { stop_at: new Date(stopAt).toISOString(), kind, error });
                else log("info", "warned_terminals", { stop_at: new Date(stopAt).toISOString(), kind });
            };
        this.warning.check(idleSince, now, record("idle"));
        this.scheduledWarning?.check(now, record("scheduled"));
    }

    status(s: (Omit<Sample, "keptUp"> & Partial<Pick<Sample, "keptUp">>) | null): UseStatus {
        const shares = s?.keptUp ?? s?.use.keptUp ?? [];
        return {
            connected: s?.use.connected ?? 0,
            sessionIdleSeconds: this.c.sessionIdleSeconds,
            sessionUse: (s?.use.sessions ?? []).map((x) => ({
                pid: x.pid,
                since: x.since,
                inUse: x.inUse,
                idleSeconds: x.idleSeconds,
                lastActivityAt: x.lastActivityAt,
                by: x.by,
                ...("reason" in x && typeof x.reason === "string" ? { reason: x.reason } : {}),
            })),
            otherTerminalsInUse: s?.use.otherTerminals.inUse ?? 0,
            cpuPercent: s?.use.cpuPercent ?? null,
            traffic: this.tracker.trafficOk === null ? "not measured" : this.tracker.trafficOk ? "ok" : "unavailable",
            keptUpBy: keptUpList(shares),
            keptUpAdds: Object.fromEntries(shares.map((x) => [x.signal, x.adds])),
            lastWarning: this.lastWarning,
            lastBusy: this.tracker.lastBusy(s?.at ?? Date.now()),
        };
    }
}
