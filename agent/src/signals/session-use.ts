// Which SSH sessions are in use, the part shared by the two signals that judge them: a session
// with terminals by its terminals' input (terminal-input.ts), one without by its connection's
// traffic (client-traffic.ts). Logging in is activity: a session's idle time never starts before
// its login. With sessionIdleSeconds 0 the original rule holds: every connected session counts.
// Counting rules: docs/reference/metric.md.
import { formatDuration } from "../system/duration";
import { printable } from "../system/text";
import { Session } from "./sessions";
import { KeptUpShare, mergeShares } from "./signal";

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
    /** Percent of ONE core a process of a person's work must use to count; 0: off. */
    busyProcessPercent: number;
    /** GPU utilization percent that counts; 0: off. */
    busyGpuPercent: number;
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
    /** Why it counts while merely connected although the rule is on (its use cannot be measured). */
    reason?: string;
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

/** Why judged sessions keep the box up: by input ("terminal"), traffic ("traffic"), or merely connected ("connected"). */
export function sessionShares(judged: readonly SessionUse[]): KeptUpShare[] {
    const shares: KeptUpShare[] = [];
    for (const x of judged) {
        if (!x.inUse) continue;
        const where = x.ttys.length > 0 ? x.ttys.join(",") : "no terminal";
        const ago = x.idleSeconds === null ? "" : ` ${formatDuration(x.idleSeconds * 1000)} ago`;
        const why =
            x.by === "terminal" ? `input${ago}` : x.by === "traffic" ? `client traffic${ago}` : x.reason ? `connected (${x.reason})` : "connected";
        shares.push({ signal: x.by, adds: 1, details: [`${printable(x.user, 32)} ${where} (pid ${x.pid}): ${why}`] });
    }
    return mergeShares(shares);
}
