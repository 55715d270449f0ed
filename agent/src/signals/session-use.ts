// Which SSH sessions are in use, the part shared by the two signals that judge them: a session
// with terminals by its terminals' input (terminal-input.ts), one without by its connection's
// traffic (client-traffic.ts). Logging in is activity: a session's idle time never starts before
// its login. With sessionIdleSeconds 0 the original rule holds: every connected session counts.
// Counting rules: docs/reference/metric.md.
import { Session } from "./sessions";

export interface ActivitySettings {
    /** 0: connected is enough (the original rule). */
    sessionIdleSeconds: number;
    trafficBytesPerMinute: number;
    /** Server-to-client bytes per minute above which a no-terminal session is in use (downloads); 0 = off. */
    downloadBytesPerMinute: number;
    sshPorts: readonly number[];
    /** sshd's LoginGraceTime: a younger socket may be unauthenticated (client-traffic.ts); absent: OpenSSH's 120. */
    loginGraceSeconds?: number;
    /** Non-SSH traffic at or above this many bytes per minute is one active (net-transfer.ts); 0 = off. */
    transferBytesPerMinute: number;
    /** 0: off. */
    busyCpuPercent: number;
    /** How often `ss` may run (once per publish period). */
    publishSeconds: number;
    procRoot: string;
    devRoot: string;
}

export type UseBasis = "terminal" | "traffic" | "connected";

export interface SessionUse extends Session {
    inUse: boolean;
    /** Seconds since the last sign of use (login counts); null where unknown. */
    idleSeconds: number | null;
    lastActivityAt: string | null;
    /** What judged it: terminal input, client traffic, or mere connection (rule off / traffic unknown). */
    by: UseBasis;
}

/** Where the no-terminal sessions' last activity comes from (daemon: its own measurements). */
export type Seed = ReadonlyMap<string, number>;

/** Identity of a session across samples (a pid alone may be reused). */
export function sessionKey(s: Pick<Session, "pid" | "since">): string {
    return `${s.pid}@${s.since}`;
}

/** The verdict on one session: its last sign of use (null: unknown) and what judged it. */
export function judgeSession(x: Session, last: number | null, by: UseBasis, now: number, limitMs: number): SessionUse {
    const idleSeconds = last === null ? null : Math.max(0, Math.floor((now - last) / 1000));
    const inUse = by === "connected" ? true : last !== null && now - last < limitMs;
    return { ...x, inUse, idleSeconds, lastActivityAt: last === null ? null : new Date(last).toISOString(), by };
}

/** How many of the judged sessions are in use. */
export function inUseCount(judged: readonly SessionUse[]): number {
    return judged.filter((x) => x.inUse).length;
}
