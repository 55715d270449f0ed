// One sample: the sessions listed once, then every signal judged (holds, and the signals of use
// in the activity tracker); the metric's value is what they add up to.
import { Config } from "../config";
import { assertProcVisible } from "../system/hidepid";
import type { KnownPids } from "../system/known-pids";
import { ActivityTracker, Use } from "./activity-tracker";
import { Hold } from "./holds";
import { Holds } from "./holds-signal";
import { ActivitySettings } from "./session-use";
import { listSessions, Session } from "./sessions";
import { explained, judge, KeptUpShare, share } from "./signal";
import { printable } from "../system/text";

export interface Sample {
    at: number;
    /** Authenticated SSH sessions (ConnectedSessions). */
    sessions: Session[];
    holds: Hold[];
    /** Which sessions and other terminals are in use. */
    use: Use;
    /** sessions in use + other terminals in use (as one) + holds: the metric's value for this sample. */
    active: number;
    /** Why, one share per kind (signal.ts): what `status` prints and the KeptUpBy metric carries. */
    keptUp: KeptUpShare[];
}

function holdShares(holds: Hold[]): KeptUpShare[] {
    return share(
        "hold",
        holds.length,
        holds.map((h) => {
            const what = h.expiresAt ? `until ${h.expiresAt}` : `while pid ${h.owner?.pid} runs${h.command ? ` (${printable(h.command, 60)})` : ""}`;
            return `hold ${h.id} by ${printable(h.user, 32)} ${what}${h.reason ? `: ${printable(h.reason, 60)}` : ""}`;
        }),
    );
}

/** Tracker settings from the agent config. */
export function activitySettings(c: Config): ActivitySettings {
    return {
        sessionIdleSeconds: c.sessionIdleSeconds,
        trafficBytesPerMinute: c.trafficBytesPerMinute,
        downloadBytesPerMinute: c.downloadBytesPerMinute,
        sshPorts: c.sshPorts,
        loginGraceSeconds: c.loginGraceSeconds,
        transferBytesPerMinute: c.transferBytesPerMinute,
        busyCpuPercent: c.busyCpuPercent,
        busyProcessPercent: c.busyProcessPercent,
        busyGpuPercent: c.busyGpuPercent,
        publishSeconds: c.publishSeconds,
        procRoot: c.procRoot,
        devRoot: c.devRoot,
    };
}

/** One sample. With cleanup, expired hold files are removed (the daemon does this). */
export function takeSample(c: Config, cleanup: boolean, now: number, tracker?: ActivityTracker, known?: KnownPids): Sample {
    // Before anything else: a blind count would publish 0 and expire live keep-awake holds.
    assertProcVisible(c.procRoot, now);
    const sessions = listSessions(c.procRoot, known);
    const use = tracker ?? new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now });
    return judgeSample(c.holdsDir, cleanup, use, sessions, now);
}

/** Every signal judged on listed sessions: holds, then the tracker's signals of use. */
export function judgeSample(holdsDir: string, cleanup: boolean, use: ActivityTracker, sessions: Session[], now: number): Sample {
    const holds = explained(new Holds(holdsDir, cleanup), (r) => holdShares(r.detail));
    const { active, readings, keptUp } = judge({ holds, use }, { now, sessions });
    return { at: now, sessions, holds: readings.holds.detail, use: readings.use.detail, active, keptUp };
}
