import { Config } from "./config";
import { Hold, removeExpired, scanHolds } from "./holds";
import { log } from "./log";
import { listSessions, Session } from "./sessions";

export interface Sample {
    at: number;
    sessions: Session[];
    holds: Hold[];
    /** sessions + holds: the metric's value for this sample. */
    active: number;
}

/** One sample. With cleanup, expired hold files are removed (the daemon does this). */
export function takeSample(c: Config, cleanup: boolean, now = Date.now()): Sample {
    const sessions = listSessions(c.procRoot);
    const h = scanHolds(c.holdsDir, now);
    if (cleanup && h.expired.length > 0) {
        const n = removeExpired(c.holdsDir, h.expired);
        for (const x of h.expired) log("info", "hold_expired", { id: x.id, user: x.user, reason: x.reason ?? undefined });
        if (n < h.expired.length) log("warn", "hold_cleanup_incomplete", { removed: n, expired: h.expired.length });
    }
    return { at: now, sessions, holds: h.active, active: sessions.length + h.active.length };
}
