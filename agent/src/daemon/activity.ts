// What the daemon (and `once`) keeps about use across samples: the activity tracker, the
// ConnectedSessions datapoints (published in the same request as ActiveSessions), the warning on
// the box, and the per-session view written to the status file. Kept out of agent-state.ts so the
// publishing loop only calls in at three points.
import { Config } from "../config";
import { Datapoint, PeriodAggregator } from "../publish/datapoint";
import { log } from "../system/log";
import { activitySettings, Sample } from "../signals/sample";
import { ActivityTracker } from "../signals/activity-tracker";
import { Seed, sessionKey, UseBasis } from "../signals/session-use";
import { StopWarning } from "./stop-warning";
import { CONNECTED_SESSIONS_METRIC } from "../../../common/metric";

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
    lastWarning: { at: string; stopAt: string; error: string | null } | null;
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
    private readonly warning: StopWarning;
    private lastWarning: UseStatus["lastWarning"] = null;

    constructor(
        private readonly c: Config & { instanceId: string },
        startedAt: number,
        seed: Seed,
    ) {
        this.tracker = new ActivityTracker(activitySettings(c), {
            measureTraffic: true,
            startedAt,
            seed,
            onTrafficError: (error) => log("warn", "traffic_unavailable", { error, effect: "sessions without a terminal count while connected" }),
            onSocketsUnseen: (error) => log("warn", "ssh_sockets_unseen", { error, fix: "sshPorts" }),
        });
        this.connected = new PeriodAggregator(c.publishSeconds * 1000, { ns: c.namespace, mn: CONNECTED_SESSIONS_METRIC, iid: c.instanceId });
        this.warning = new StopWarning(c.warnMinutes, c.idleMinutes);
    }

    /** ConnectedSessions for this sample; returns the finished period's datapoint, if any. */
    add(s: Sample): Datapoint | null {
        return this.connected.add(s.use.connected, s.at);
    }

    /** After each sample: warn the terminals when the stop is near (once per idle stretch). */
    afterSample(idleSince: number | null, now: number): void {
        this.warning.check(idleSince, now, ({ stopAt, error }) => {
            this.lastWarning = { at: new Date(now).toISOString(), stopAt: new Date(stopAt).toISOString(), error: error ?? null };
            if (error) log("warn", "warning_failed", { stop_at: new Date(stopAt).toISOString(), error });
            else log("info", "warned_terminals", { stop_at: new Date(stopAt).toISOString() });
        });
    }

    status(s: Sample | null): UseStatus {
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
            lastWarning: this.lastWarning,
        };
    }
}
