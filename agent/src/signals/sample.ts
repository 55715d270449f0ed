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
import { judge } from "./signal";

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
    const { active, readings } = judge({ holds: new Holds(c.holdsDir, cleanup), use }, { now, sessions });
    return { at: now, sessions, holds: readings.holds.detail, use: readings.use.detail, active };
}
