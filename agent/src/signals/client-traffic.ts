// Signal: SSH sessions without a terminal (VS Code Remote-SSH, sftp, `ssh -L`, `ssh host cmd`),
// in use while their client sent more than trafficBytesPerMinute within sessionIdleSeconds, or
// received more than downloadBytesPerMinute (a download asks for little: a slow sftp `get` sends
// the server well under the keep-alive threshold).
//
// The agent's unprivileged user can read every SSH socket's counters (INET_DIAG, through `ss` once
// per publish period, tcp-traffic.ts) but not which sshd process holds which socket (/proc/PID/fd
// of root and other users' processes is closed to it). So it counts: busy connections (sockets on
// sshPorts whose client sent more than the threshold over the last window), minus terminal
// sessions that had input in that window (their typing explains one busy connection each), at
// most the number of no-terminal sessions. Which no-terminal sessions get the credit is a best
// guess: those whose sshd process used the most CPU in the window (every byte passes through it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ActivitySettings, inUseCount, judgeSession, Seed, SessionUse, sessionKey, UseBasis } from "./session-use";
import { Session } from "./sessions";
import { Signal, SignalInput } from "./signal";
import { socketRate, snapshotTraffic, TrafficSnapshot } from "./tcp-traffic";
import { latestInputAt } from "./tty";

/** Keep this much traffic history, so keep-alives every few seconds average out. */
const TRAFFIC_WINDOW_MS = 60_000;

export interface ClientTrafficOptions {
    /** The daemon measures; `status` (any user, a fresh process) does not and relies on `seed`. */
    measureTraffic: boolean;
    /** Unknown history (the daemon just started) counts from here: no use unseen. */
    startedAt: number;
    /** The daemon's last credits (from its status file). */
    seed?: Seed;
    onTrafficError?: (msg: string) => void;
    /** How a snapshot is taken (default: `ss`). */
    snapshot?: (ports: readonly number[]) => Promise<TrafficSnapshot>;
}

/** ns the process spent on a CPU (/proc/PID/schedstat, readable by every user). */
function cpuNs(procRoot: string, pid: number): number {
    try {
        return Number(readFileSync(join(procRoot, String(pid), "schedstat"), "utf8").split(" ", 1)[0]) || 0;
    } catch {
        return 0;
    }
}

export class ClientTraffic implements Signal<SessionUse[]> {
    readonly name = "client-traffic";
    /** Last traffic credit per no-terminal session. */
    private readonly nottyLast = new Map<string, number>();
    private readonly nottyCpu = new Map<string, number>();
    private snaps: TrafficSnapshot[] = [];
    private requestedAt = -Infinity;
    private pending = false;
    private latest: readonly Session[] = [];
    /** null: not measured yet; false: `ss` failed (no-terminal sessions then count while connected). */
    trafficOk: boolean | null = null;

    constructor(
        private readonly s: ActivitySettings,
        private readonly opts: ClientTrafficOptions,
    ) {
        for (const [k, v] of opts.seed ?? []) this.nottyLast.set(k, v);
    }

    /** Last traffic credit of every no-terminal session (for the status file). */
    credits(): Map<string, number> {
        return new Map(this.nottyLast);
    }

    sample({ now, sessions }: SignalInput): { active: number; detail: SessionUse[] } {
        this.latest = sessions;
        const limitMs = this.s.sessionIdleSeconds * 1000;
        const notty = sessions.filter((x) => x.ttys.length === 0);
        if (limitMs > 0 && notty.length > 0 && this.opts.measureTraffic) this.maybeSnapshot(now);
        if (notty.length === 0) this.snaps = []; // no history to keep; restart cleanly when one appears
        const judged = notty.map((x) => {
            const [last, by] = this.lastUse(x, limitMs > 0);
            return judgeSession(x, last, by, now, limitMs);
        });
        return { active: inUseCount(judged), detail: judged };
    }

    /** A no-terminal session's last credited traffic, and whether traffic can judge it at all. */
    private lastUse(x: Session, ruleOn: boolean): [number | null, UseBasis] {
        const login = Date.parse(x.since);
        const credit = this.nottyLast.get(sessionKey(x));
        if (!ruleOn || this.trafficOk === false) return [credit ?? null, "connected"];
        // Unknown history (the daemon just started) counts from the start: no use unseen.
        if (credit !== undefined || this.opts.measureTraffic) return [Math.max(credit ?? Math.max(login, this.opts.startedAt), login), "traffic"];
        return [null, "connected"];
    }

    private maybeSnapshot(now: number): void {
        if (this.pending || now - this.requestedAt < this.s.publishSeconds * 1000) return;
        this.requestedAt = now;
        this.pending = true;
        (this.opts.snapshot ?? snapshotTraffic)(this.s.sshPorts).then(
            (snap) => {
                this.pending = false;
                this.trafficOk = true;
                this.credit(snap);
            },
            (e: unknown) => {
                this.pending = false;
                if (this.trafficOk !== false) this.opts.onTrafficError?.(e instanceof Error ? e.message : String(e));
                this.trafficOk = false;
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
            const { busy, windowStart } = this.busyConnections(cur);
            const typed = this.latest.filter((x) => x.ttys.length > 0 && (latestInputAt(this.s.devRoot, x.ttys) ?? 0) >= windowStart).length;
            const credits = Math.min(notty.length, Math.max(0, busy - typed));
            const cpuUsed = (x: Session): number => (cpuNow.get(sessionKey(x)) ?? 0) - (this.nottyCpu.get(sessionKey(x)) ?? 0);
            const ranked = [...notty].sort((a, b) => cpuUsed(b) - cpuUsed(a) || b.pid - a.pid);
            for (const x of ranked.slice(0, credits)) this.nottyLast.set(sessionKey(x), cur.at);
        }
        this.nottyCpu.clear();
        for (const [k, v] of cpuNow) this.nottyCpu.set(k, v);
        const live = new Set(this.latest.map(sessionKey));
        for (const k of [...this.nottyLast.keys()]) if (!live.has(k)) this.nottyLast.delete(k);
    }

    /** Sockets over a threshold since the oldest kept snapshot that saw them, and where that window starts. */
    private busyConnections(cur: TrafficSnapshot): { busy: number; windowStart: number } {
        const first = new Map<string, { at: number; bytesReceived: number; bytesAcked: number }>();
        for (const p of this.snaps.slice(0, -1)) {
            for (const sock of p.sockets)
                if (!first.has(sock.id)) first.set(sock.id, { at: p.at, bytesReceived: sock.bytesReceived, bytesAcked: sock.bytesAcked });
        }
        let busy = 0;
        let windowStart = cur.at;
        for (const sock of cur.sockets) {
            const f = first.get(sock.id);
            const rate = f === undefined ? null : socketRate(f, { at: cur.at, ...sock });
            if (f === undefined || rate === null) continue;
            windowStart = Math.min(windowStart, f.at);
            const up = rate.bytesPerMinute >= this.s.trafficBytesPerMinute;
            const down = this.s.downloadBytesPerMinute > 0 && rate.sentBytesPerMinute >= this.s.downloadBytesPerMinute;
            if (up || down) busy++;
        }
        return { busy, windowStart };
    }
}
