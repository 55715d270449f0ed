// Which sessions are in use (SPEC section 6), and how many active sessions that makes.
//
// - A session with terminals is in use while one of its terminals had input within
//   sessionIdleSeconds (terminal access time; output never counts). Traffic on such a connection
//   is not use: typing shows up as input anyway.
// - A session without a terminal (VS Code Remote-SSH, sftp, `ssh -L`, `ssh host cmd`) is in use
//   while its client sent more than trafficBytesPerMinute within sessionIdleSeconds, or received
//   more than downloadBytesPerMinute (a download asks for little: a slow sftp `get` sends the
//   server well under the keep-alive threshold). The agent's
//   unprivileged user can read every SSH socket's counters (INET_DIAG, through `ss` once per
//   publish period) but not which sshd process holds which socket (/proc/PID/fd of root and other
//   users' processes is closed to it). So it counts: busy connections (sockets on sshPorts whose
//   client sent more than the threshold over the last window), minus terminal sessions that had
//   input in that window (their typing explains one busy connection each), at most the number of
//   no-terminal sessions. Which no-terminal sessions get the credit is a best guess: those whose
//   sshd process used the most CPU in the window (every byte passes through it).
// - Input on any terminal that no SSH session owns (SSM, mosh, tmux panes, an IDE's terminals,
//   consoles) counts as ONE active session.
// - Logging in is activity: a session's idle time never starts before its login.
// With sessionIdleSeconds 0 the original rule holds: every connected session counts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./sessions";
import { CpuBusy } from "./cpu-busy";
import { snapshotTraffic, TrafficSnapshot } from "./tcp-traffic";
import { latestInputAt, OtherTerminals } from "./tty-activity";

export interface ActivitySettings {
    /** 0: connected is enough (the original rule). */
    sessionIdleSeconds: number;
    trafficBytesPerMinute: number;
    /** Server-to-client bytes per minute above which a no-terminal session is in use (downloads); 0 = off. */
    downloadBytesPerMinute: number;
    sshPorts: readonly number[];
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

export interface Use {
    at: number;
    /** Authenticated SSH sessions, in use or not (ConnectedSessions). */
    connected: number;
    sessions: SessionUse[];
    sessionsInUse: number;
    otherTerminals: { count: number; inUse: number; lastInputAt: string | null; ttys: string[] };
    cpuPercent: number | null;
    cpuBusy: boolean;
    /** sessions in use + (1 if any other terminal is in use) + (1 if CPU busy). Holds come on top. */
    active: number;
}

/** Where the no-terminal sessions' last activity comes from (daemon: its own measurements). */
export type Seed = ReadonlyMap<string, number>;

/** Identity of a session across samples (a pid alone may be reused). */
export function sessionKey(s: Pick<Session, "pid" | "since">): string {
    return `${s.pid}@${s.since}`;
}

/** ns the process spent on a CPU (/proc/PID/schedstat, readable by every user). */
function cpuNs(procRoot: string, pid: number): number {
    try {
        return Number(readFileSync(join(procRoot, String(pid), "schedstat"), "utf8").split(" ", 1)[0]) || 0;
    } catch {
        return 0;
    }
}

/** Keep this much traffic history, so keep-alives every few seconds average out. */
export const TRAFFIC_WINDOW_MS = 60_000;

export class ActivityTracker {
    private readonly others: OtherTerminals;
    private readonly cpu: CpuBusy;
    /** Last traffic credit per no-terminal session. */
    private readonly nottyLast = new Map<string, number>();
    private readonly nottyCpu = new Map<string, number>();
    private snaps: TrafficSnapshot[] = [];
    private requestedAt = -Infinity;
    private pending = false;
    private latest: Session[] = [];
    /** null: not measured yet; false: `ss` failed (no-terminal sessions then count while connected). */
    trafficOk: boolean | null = null;
    trafficError: string | null = null;

    /**
     * measureTraffic: the daemon measures; `status` (any user, a fresh process) does not and
     * relies on `seed`, the daemon's last credits from its status file.
     */
    constructor(
        readonly s: ActivitySettings,
        private readonly opts: {
            measureTraffic: boolean; startedAt: number; seed?: Seed; onTrafficError?: (msg: string) => void;
            /** How a snapshot is taken (default: `ss`). */
            snapshot?: (ports: readonly number[]) => Promise<TrafficSnapshot>;
        },
    ) {
        this.others = new OtherTerminals(s.devRoot);
        this.cpu = new CpuBusy(s.procRoot);
        for (const [k, v] of opts.seed ?? []) this.nottyLast.set(k, v);
    }

    /** Last traffic credit of every no-terminal session (for the status file). */
    credits(): Map<string, number> {
        return new Map(this.nottyLast);
    }

    assess(sessions: Session[], now: number): Use {
        this.latest = sessions;
        const limitMs = this.s.sessionIdleSeconds * 1000;
        const ruleOn = limitMs > 0;
        const haveNotty = sessions.some((x) => x.ttys.length === 0);
        if (ruleOn && haveNotty && this.opts.measureTraffic) this.maybeSnapshot(now);
        if (!haveNotty) this.snaps = []; // no history to keep; restart cleanly when one appears

        const judged: SessionUse[] = sessions.map((x) => {
            const login = Date.parse(x.since);
            let last: number | null;
            let by: UseBasis;
            if (x.ttys.length > 0) {
                const input = latestInputAt(this.s.devRoot, x.ttys);
                last = Math.max(input ?? login, login);
                by = ruleOn ? "terminal" : "connected";
            } else {
                const credit = this.nottyLast.get(sessionKey(x));
                if (!ruleOn || this.trafficOk === false) {
                    last = credit ?? null;
                    by = "connected";
                } else if (credit !== undefined || this.opts.measureTraffic) {
                    // Unknown history (the daemon just started) counts from the start: no use unseen.
                    last = Math.max(credit ?? Math.max(login, this.opts.startedAt), login);
                    by = "traffic";
                } else {
                    last = null;
                    by = "connected";
                }
            }
            const idleSeconds = last === null ? null : Math.max(0, Math.floor((now - last) / 1000));
            const inUse = by === "connected" ? true : last !== null && now - last < limitMs;
            return { ...x, inUse, idleSeconds, lastActivityAt: last === null ? null : new Date(last).toISOString(), by };
        });

        const owned = new Set(sessions.flatMap((x) => x.ttys));
        const others = this.others.list(owned, now);
        const othersInUse = ruleOn ? others.filter((t) => now - t.inputAt < limitMs) : [];
        const lastOther = others.reduce<number | null>((m, t) => (m === null || t.inputAt > m ? t.inputAt : m), null);
        const cpuPercent = this.s.busyCpuPercent > 0 ? this.cpu.percent() : null;
        const cpuBusy = cpuPercent !== null && cpuPercent >= this.s.busyCpuPercent;
        const sessionsInUse = judged.filter((x) => x.inUse).length;
        return {
            at: now,
            connected: sessions.length,
            sessions: judged,
            sessionsInUse,
            otherTerminals: {
                count: others.length, inUse: othersInUse.length,
                lastInputAt: lastOther === null ? null : new Date(lastOther).toISOString(),
                ttys: othersInUse.map((t) => t.tty),
            },
            cpuPercent,
            cpuBusy,
            active: sessionsInUse + (othersInUse.length > 0 ? 1 : 0) + (cpuBusy ? 1 : 0),
        };
    }

    private maybeSnapshot(now: number): void {
        if (this.pending || now - this.requestedAt < this.s.publishSeconds * 1000) return;
        this.requestedAt = now;
        this.pending = true;
        (this.opts.snapshot ?? snapshotTraffic)(this.s.sshPorts).then(
            (snap) => {
                this.pending = false;
                this.trafficOk = true;
                this.trafficError = null;
                this.credit(snap);
            },
            (e: unknown) => {
                this.pending = false;
                const msg = e instanceof Error ? e.message : String(e);
                if (this.trafficOk !== false) this.opts.onTrafficError?.(msg);
                this.trafficOk = false;
                this.trafficError = msg;
            },
        );
    }

    /** Credits no-terminal sessions with the traffic between the kept snapshots and this one. */
    credit(cur: TrafficSnapshot): void {
        const history = this.snaps.filter((p) => p.at < cur.at);
        this.snaps = [...history.filter((p) => p.at >= cur.at - TRAFFIC_WINDOW_MS), cur];
        // Keep the newest snapshot older than the window too while nothing newer exists (long periods).
        if (this.snaps.length === 1 && history.length > 0) this.snaps.unshift(history[history.length - 1]);
        const notty = this.latest.filter((x) => x.ttys.length === 0);
        const cpuNow = new Map(notty.map((x) => [sessionKey(x), cpuNs(this.s.procRoot, x.pid)]));
        if (this.snaps.length >= 2) {
            // Per socket: bytes since the oldest kept snapshot that saw it.
            const first = new Map<string, { at: number; bytes: number; sent: number }>();
            for (const p of this.snaps.slice(0, -1)) {
                for (const sock of p.sockets) if (!first.has(sock.id)) first.set(sock.id, { at: p.at, bytes: sock.bytesReceived, sent: sock.bytesAcked });
            }
            let busy = 0;
            let windowStart = cur.at;
            for (const sock of cur.sockets) {
                const f = first.get(sock.id);
                if (f === undefined || sock.bytesReceived < f.bytes || sock.bytesAcked < f.sent) continue;
                windowStart = Math.min(windowStart, f.at);
                const perMinute = (bytes: number): number => (bytes * 60000) / (cur.at - f.at);
                const up = perMinute(sock.bytesReceived - f.bytes) >= this.s.trafficBytesPerMinute;
                const down = this.s.downloadBytesPerMinute > 0 && perMinute(sock.bytesAcked - f.sent) >= this.s.downloadBytesPerMinute;
                if (up || down) busy++;
            }
            const typed = this.latest.filter((x) => x.ttys.length > 0 && (latestInputAt(this.s.devRoot, x.ttys) ?? 0) >= windowStart).length;
            const credits = Math.min(notty.length, Math.max(0, busy - typed));
            const ranked = [...notty].sort((a, b) => {
                const da = (cpuNow.get(sessionKey(a)) ?? 0) - (this.nottyCpu.get(sessionKey(a)) ?? 0);
                const db = (cpuNow.get(sessionKey(b)) ?? 0) - (this.nottyCpu.get(sessionKey(b)) ?? 0);
                return db - da || b.pid - a.pid;
            });
            for (const x of ranked.slice(0, credits)) this.nottyLast.set(sessionKey(x), cur.at);
        }
        this.nottyCpu.clear();
        for (const [k, v] of cpuNow) this.nottyCpu.set(k, v);
        const live = new Set(this.latest.map(sessionKey));
        for (const k of [...this.nottyLast.keys()]) if (!live.has(k)) this.nottyLast.delete(k);
    }
}
