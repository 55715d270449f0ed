import { Config } from "./config";
import { Hold, removeExpired, scanHolds } from "./holds";
import { log } from "./log";
import type { KnownPids } from "./knownpids";
import { listSessions, Session } from "./sessions";

export interface Sample {
    at: number;
    sessions: Session[];
    holds: Hold[];
    /** sessions + holds: the metric's value for this sample. */
    active: number;
}

const reported = new Set<string>();

/** One sample. With cleanup, expired hold files are removed (the daemon does this). */
export function takeSample(c: Config, cleanup: boolean, now = Date.now(), known?: KnownPids): Sample {
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
    return { at: now, sessions, holds: h.active, active: sessions.length + h.active.length };
}
