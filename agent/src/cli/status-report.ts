// What `status` reports: the daemon's status file (when it runs) combined with what this process
// can see itself now (sessions, terminals, holds), for any user. The report's fields:
// docs/reference/agent.md; how idle time and the stop time are derived: docs/reference/metric.md.
import { join } from "node:path";
import { Config } from "../config";
import { seedFromStatus } from "../daemon/activity";
import { readStatus, staleAfterMs, StatusFile } from "../daemon/status-file";
import { nextScheduled } from "../daemon/scheduled-stop";
import { expectedStopAt } from "../daemon/stop-time";
import { Spool } from "../publish/spool";
import { ActivityTracker } from "../signals/activity-tracker";
import { Hold } from "../signals/holds";
import { activitySettings, judgeSample } from "../signals/sample";
import { SessionUse } from "../signals/session-use";
import { listSessions } from "../signals/sessions";
import { keptUpList } from "../signals/signal";
import { KeptUp, KeptUpSignal } from "../../../common/metric";
import { systemClock } from "../system/clock";
import { assertProcVisible, ProcHiddenError } from "../system/hidepid";

export interface StatusReport {
    config: {
        path: string | null;
        instanceId: string | null;
        region: string | null;
        namespace: string;
        metricName: string;
        sampleSeconds: number;
        publishSeconds: number;
        stateDir: string;
        holdsDir: string;
        alarmName: string | null;
        idleMinutes: number | null;
        sessionIdleSeconds: number;
        trafficBytesPerMinute: number;
        downloadBytesPerMinute: number;
        sshPorts: number[];
        busyCpuPercent: number;
        busyProcessPercent: number;
        busyGpuPercent: number;
        warnMinutes: number;
        /** The fixed stop/start times and their zone (docs/reference/agent.md), null when none. */
        stopAt: string | null;
        startAt: string | null;
        timezone: string;
    };
    daemon: { running: boolean; pid: number; mode: string; startedAt: string; updatedAt: string; rearm: string; rearmedAt: string | null } | null;
    /** Authenticated SSH sessions, in use or not (ConnectedSessions). */
    connected: number;
    /** What the metric carries now: sessions in use + other terminals in use (as one) + holds + busy work (as one per kind). */
    active: number;
    /** What keeps the box up now, one entry per reason; empty when idle. */
    keptUpBy: KeptUp[];
    /** 0: connected is enough (the original rule). */
    sessionIdleSeconds: number;
    sessions: SessionUse[];
    /** Terminals no SSH session owns (SSM, mosh, tmux, IDE terminals, consoles) with recent input; they count as one. */
    otherTerminals: { inUse: number; ttys: string[]; lastInputAt: string | null };
    /** The daemon's client-traffic measurement: "ok", "unavailable" (no `ss`), "not measured", or null without a daemon. */
    traffic: string | null;
    holds: Hold[];
    lastPublishAt: string | null;
    lastError: string | null;
    backlog: number | null;
    oldestBacklog: string | null;
    idle: boolean;
    idleSince: string | null;
    idleMinutesSoFar: number | null;
    stopExpectedAt: string | null;
    /** When the schedule stops and starts the box next (ISO), null without stopAt / startAt. */
    nextScheduledStop: string | null;
    nextScheduledStart: string | null;
    /** Why sessions could not be listed for this user (hidepid), else null. */
    procHidden: string | null;
}

function backlogFromSpool(c: Config): number | null {
    try {
        return new Spool(join(c.stateDir, "spool.jsonl")).load().length;
    } catch {
        return null; // not readable for this user
    }
}

/** Why this user cannot list sessions (hidepid), or null when it can. */
function procHiddenReason(procRoot: string, now: number): string | null {
    try {
        assertProcVisible(procRoot, now);
        return null;
    } catch (e) {
        if (!(e instanceof ProcHiddenError)) throw e;
        return e.message;
    }
}

/** Start of the current idle stretch by the daemon's file, or null (in use, or no daemon status). */
function idleSinceFrom(st: StatusFile | null, fresh: boolean, active: number, now: number): number | null {
    if (active !== 0 || st === null) return null;
    // The daemon rewrites the file when its counts change, so while it runs and the file still
    // says active, its latest sample (on the sampleSeconds grid) saw activity.
    const sampleMs = st.sampleSeconds * 1000;
    const lastSample = fresh ? Math.max(Date.parse(st.updatedAt), Math.floor(now / sampleMs) * sampleMs) : Date.parse(st.updatedAt);
    return st.active > 0 ? lastSample : st.idleSince ? Date.parse(st.idleSince) : null;
}

/**
 * Kinds only the daemon can measure (they need readings over time): `status` takes them from a
 * running daemon's status file. A new signal of that sort adds its kind here.
 */
const DAEMON_MEASURED: ReadonlySet<KeptUpSignal> = new Set(["process", "gpu", "transfer", "cpu"]);

/** The daemon's view of the kinds only it measures: its reasons and what they add. */
function daemonMeasured(st: StatusFile | null, fresh: boolean): { keptUp: KeptUp[]; adds: number } {
    if (!fresh || st === null) return { keptUp: [], adds: 0 };
    const keptUp = (st.keptUpBy ?? []).filter((k) => DAEMON_MEASURED.has(k.signal));
    const adds = Object.entries(st.keptUpAdds ?? {})
        .filter(([k]) => DAEMON_MEASURED.has(k as KeptUpSignal))
        .reduce((a, [, v]) => a + (typeof v === "number" ? v : 0), 0);
    return { keptUp, adds };
}

function configView(c: Config, st: StatusFile | null, idleMinutes: number | null): StatusReport["config"] {
    return {
        path: c.source,
        instanceId: c.instanceId ?? st?.instanceId ?? null,
        region: c.region ?? null,
        namespace: c.namespace,
        metricName: c.metricName,
        sampleSeconds: c.sampleSeconds,
        publishSeconds: c.publishSeconds,
        stateDir: c.stateDir,
        holdsDir: c.holdsDir,
        alarmName: c.alarmName ?? null,
        idleMinutes,
        sessionIdleSeconds: c.sessionIdleSeconds,
        trafficBytesPerMinute: c.trafficBytesPerMinute,
        downloadBytesPerMinute: c.downloadBytesPerMinute,
        sshPorts: c.sshPorts,
        busyCpuPercent: c.busyCpuPercent,
        busyProcessPercent: c.busyProcessPercent,
        busyGpuPercent: c.busyGpuPercent,
        warnMinutes: c.warnMinutes,
        stopAt: c.stopAt ?? null,
        startAt: c.startAt ?? null,
        timezone: c.timezone,
    };
}

export function buildStatus(c: Config, now = systemClock.wall()): StatusReport {
    // Under hidepid an ordinary user cannot see others' sessions (nor their keep-awake holds'
    // processes): show the daemon's own count instead of a wrong one, and say why.
    const procHidden = procHiddenReason(c.procRoot, now);
    const st: StatusFile | null = readStatus(c.stateDir);
    // The daemon is considered running when it updated the file within 3 heartbeats.
    const fresh = st !== null && st.mode === "run" && now - Date.parse(st.updatedAt) <= staleAfterMs(st);
    // Terminals are judged here and now; sessions without a terminal by the daemon's traffic
    // measurements (only it runs `ss` over time); without a running daemon they count as connected.
    const tracker = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now, seed: fresh ? seedFromStatus(st) : undefined });
    const sessions = procHidden === null ? listSessions(c.procRoot) : [];
    const verdict = judgeSample(c.holdsDir, false, tracker, sessions, now);
    const holds = verdict.holds;
    const use = verdict.use;
    // Busy processes, the GPU, transfers and CPU need readings over time: the daemon's view.
    const daemon = daemonMeasured(st, fresh);
    const active = procHidden === null ? verdict.active + daemon.adds : (st?.active ?? holds.length);
    const keptUpBy =
        procHidden === null ? [...keptUpList(verdict.keptUp), ...daemon.keptUp] : fresh ? (st.keptUpBy ?? []) : keptUpList(verdict.keptUp);
    const idleSince = idleSinceFrom(st, fresh, active, now);
    const idleMinutes = c.idleMinutes ?? st?.idleMinutes ?? null;
    const stopAt = idleSince !== null && idleMinutes !== null ? expectedStopAt(idleSince, idleMinutes) : null;
    const scheduled = nextScheduled(c, now);
    const isoOrNull = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
        config: configView(c, st, idleMinutes),
        daemon:
            st === null
                ? null
                : {
                      running: fresh,
                      pid: st.pid,
                      mode: st.mode,
                      startedAt: st.startedAt,
                      updatedAt: st.updatedAt,
                      rearm: st.rearm,
                      rearmedAt: st.rearmedAt,
                  },
        connected: procHidden === null ? use.connected : (st?.sessions ?? 0),
        active,
        keptUpBy,
        sessionIdleSeconds: c.sessionIdleSeconds,
        sessions: use.sessions,
        otherTerminals: { inUse: use.otherTerminals.inUse, ttys: use.otherTerminals.ttys, lastInputAt: use.otherTerminals.lastInputAt },
        traffic: fresh ? (st.traffic ?? null) : null,
        holds,
        lastPublishAt: st?.lastPublishAt ?? null,
        lastError: st?.lastError ?? null,
        backlog: fresh ? st.backlog : (backlogFromSpool(c) ?? st?.backlog ?? null),
        oldestBacklog: st?.oldestBacklog ?? null,
        idle: active === 0,
        idleSince: idleSince === null ? null : new Date(idleSince).toISOString(),
        idleMinutesSoFar: idleSince === null ? (active > 0 ? 0 : null) : Math.floor((now - idleSince) / 60000),
        stopExpectedAt: stopAt === null ? null : new Date(stopAt).toISOString(),
        nextScheduledStop: isoOrNull(scheduled.stop),
        nextScheduledStart: isoOrNull(scheduled.start),
        procHidden,
    };
}
