import { ActivityTracker, Use } from "./session-use";
import { Config } from "../config";
import { assertProcVisible } from "../system/hidepid";
import { Hold, removeExpired, scanHolds } from "./holds";
import { log } from "../system/log";
import type { KnownPids } from "../system/known-pids";
import { listSessions, Session } from "./sessions";

export interface Sample {
    at: number;
    /** Authenticated SSH sessions (ConnectedSessions). */
    sessions: Session[];
    holds: Hold[];
    /** Which sessions and other terminals are in use. */
    use: Use;
    /** sessions in use + other terminals in use (as one) + holds: the metric's value for this sample. */
    active: number;
}

const reported = new Set<string>();

/** Tracker settings from the agent config. */
export function activitySettings(c: Config): ConstructorParameters<typeof ActivityTracker>[0] {
    return {
        sessionIdleSeconds: c.sessionIdleSeconds, trafficBytesPerMinute: c.trafficBytesPerMinute, downloadBytesPerMinute: c.downloadBytesPerMinute, sshPorts: c.sshPorts,
        busyCpuPercent: c.busyCpuPercent, publishSeconds: c.publishSeconds, procRoot: c.procRoot, devRoot: c.devRoot,
    };
}

/** One sample. With cleanup, expired hold files are removed (the daemon does this). */
export function takeSample(c: Config, cleanup: boolean, now: number, tracker?: ActivityTracker, known?: KnownPids): Sample {
    // Before anything else: a blind count would publish 0 and expire live keep-awake holds.
    assertProcVisible(c.procRoot, now);
    const sessions = listSessions(c.procRoot, known);
    const h = scanHolds(c.holdsDir, now);
    if (cleanup && h.expired.length > 0) {
        removeExpired(c.holdsDir, h.expired);
        // A daemon that is not root cannot remove other users' files (sticky dir): they stay,
        // are ignored, and are logged once.
        for (const x of h.expired) {
            if (reported.has(x.id)) continue;
            reported.add(x.id);
            log("info", "hold_expired", { id: x.id, user: x.user, reason: x.reason ?? undefined });
        }
        if (reported.size > 10000) reported.clear();
    }
    const t = tracker ?? new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now });
    const use = t.assess(sessions, now);
    return { at: now, sessions, holds: h.active, use, active: use.active + h.active.length };
}
