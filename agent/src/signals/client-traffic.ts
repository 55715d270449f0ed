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
//
// Two guards (docs/reference/metric.md, "Traffic"):
// - A socket first seen less than loginGraceSeconds ago may be a connection that never
//   authenticates (a scanner holding port 22 open until sshd's LoginGraceTime): it credits only
//   sessions that logged in after it appeared (its own session, if it has one), never an older one.
// - Fail safe: when `ss` fails, or sees fewer sockets than there are sessions (sshd listens on a
//   port not in sshPorts), no-terminal sessions count while connected, with the reason.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { agentConfigDefaults } from "../../../common/agent-config";
import { ActivitySettings, inUseCount, judgeSession, Seed, SessionUse, sessionKey, UseBasis } from "./session-use";
import { Session } from "./sessions";
import { Signal, SignalInput } from "./signal";
import { SnapshotResult, SocketSnapshots, socketRate, TrafficSnapshot } from "./tcp-traffic";
import { latestInputAt } from "./tty";

/** Keep this much traffic history, so keep-alives every few seconds average out. */
const TRAFFIC_WINDOW_MS = 60_000;
/** Login times come from the boot time in whole seconds, and `ss` takes a moment: this much slack. */
const CLOCK_SLACK_MS = 2000;

export interface ClientTrafficOptions {
    /** The daemon measures; `status` (any user, a fresh process) does not and relies on `seed`. */
    measureTraffic: boolean;
    /** Unknown history (the daemon just started) counts from here: no use unseen. */
    startedAt: number;
    /** The daemon's last credits (from its status file). */
    seed?: Seed;
    onTrafficError?: (msg: string) => void;
    /** Once per daemon: the sessions' sockets are not among those `ss` sees (the message names the fix). */
    onSocketsUnseen?: (msg: string) => void;
    /** How a snapshot is taken (default: `ss`). */
    snapshot?: (ports: readonly number[]) => Promise<TrafficSnapshot>;
    /** The shared `ss` runs (one per publish period for every signal); default: this signal's own. */
    sockets?: SocketSnapshots;
}

/** A no-terminal session's verdict, with why it counts while merely connected (status shows it). */
export type TrafficUse = SessionUse;

/** When a socket appeared: first seen at `at`, and absent from the snapshot before (so born after `bornAfter`). */
interface SocketBirth {
    at: number;
    /** -Infinity: present in the first snapshot, its age unknown (counted as old). */
    bornAfter: number;
}

/** ns the process spent on a CPU (/proc/PID/schedstat, readable by every user). */
function cpuNs(procRoot: string, pid: number): number {
    try {
        return Number(readFileSync(join(procRoot, String(pid), "schedstat"), "utf8").split(" ", 1)[0]) || 0;
    } catch {
        return 0;
    }
}

export class ClientTraffic implements Signal<TrafficUse[]> {
    readonly name = "client-traffic";
    /** Last traffic credit per no-terminal session. */
    private readonly nottyLast = new Map<string, number>();
    private readonly nottyCpu = new Map<string, number>();
    private readonly births = new Map<string, SocketBirth>();
    /** When the last good snapshot was asked for (sockets missing from it were born later); null: none yet. */
    private lastSnapRequestedAt: number | null = null;
    private snaps: TrafficSnapshot[] = [];
    private readonly sockets: SocketSnapshots;
    private latest: readonly Session[] = [];
    private unseenLogged = false;
    /** null: not measured yet; false: `ss` failed (no-terminal sessions then count while connected). */
    trafficOk: boolean | null = null;
    /** Why no-terminal sessions count while connected although `ss` works (their sockets are not seen); null: they are seen. */
    socketsUnseen: string | null = null;

    constructor(
        private readonly s: ActivitySettings,
        private readonly opts: ClientTrafficOptions,
    ) {
        for (const [k, v] of opts.seed ?? []) this.nottyLast.set(k, v);
        this.sockets = opts.sockets ?? new SocketSnapshots(s.sshPorts, s.publishSeconds * 1000, opts.snapshot);
        this.sockets.subscribe((r) => this.onSnapshot(r));
    }

    /** Last traffic credit of every no-terminal session (for the status file). */
    credits(): Map<string, number> {
        return new Map(this.nottyLast);
    }

    sample({ now, sessions }: SignalInput): { active: number; detail: TrafficUse[] } {
        this.latest = sessions;
        const limitMs = this.s.sessionIdleSeconds * 1000;
        const notty = sessions.filter((x) => x.ttys.length === 0);
        if (limitMs > 0 && notty.length > 0 && this.opts.measureTraffic) this.sockets.request(now);
        if (notty.length === 0) this.snaps = []; // no history to keep; restart cleanly when one appears
        const judged = notty.map((x): TrafficUse => {
            const [last, by, reason] = this.lastUse(x, limitMs > 0);
            const u = judgeSession(x, last, by, now, limitMs);
            return reason === undefined ? u : { ...u, reason };
        });
        return { active: inUseCount(judged), detail: judged };
    }

    /** A no-terminal session's last credited traffic, whether traffic can judge it at all, and why not. */
    private lastUse(x: Session, ruleOn: boolean): [number | null, UseBasis, string?] {
        const login = Date.parse(x.since);
        const credit = this.nottyLast.get(sessionKey(x));
        if (!ruleOn) return [credit ?? null, "connected"];
        if (this.trafficOk === false) return [credit ?? null, "connected", "`ss` failed: traffic cannot be measured"];
        if (this.socketsUnseen !== null) return [credit ?? null, "connected", this.socketsUnseen];
        // Unknown history (the daemon just started) counts from the start: no use unseen.
        if (credit !== undefined || this.opts.measureTraffic) return [Math.max(credit ?? Math.max(login, this.opts.startedAt), login), "traffic"];
        return [null, "connected"];
    }

    private onSnapshot(r: SnapshotResult): void {
        if (!r.ok) {
            if (this.trafficOk !== false) this.opts.onTrafficError?.(r.error);
            this.trafficOk = false;
            this.lastSnapRequestedAt = null; // a gap: sockets seen next are of unknown age
            return;
        }
        this.trafficOk = true;
        this.noteBirths(r.snap, r.requestedAt);
        this.checkSocketsSeen(r.snap, r.requestedAt);
        this.credit(r.snap, r.requestedAt, true);
    }

    /**
     * Every session has a connection of its own, so `ss` must see at least as many sockets on
     * sshPorts as there were sessions when it ran; fewer means sshd (also) listens elsewhere and
     * the traffic rule would judge blind: fail toward "in use" (docs/reference/metric.md). Only
     * sockets at least loginGraceSeconds old are compared with sessions older than that: a
     * scanner's young connections (never a session) must not make up for a session's unseen one.
     * Runs after noteBirths, so this snapshot's new sockets are in `births`.
     */
    private checkSocketsSeen(snap: TrafficSnapshot, requestedAt: number): void {
        const graceMs = (this.s.loginGraceSeconds ?? agentConfigDefaults.loginGraceSeconds) * 1000;
        const expected = this.latest.filter((x) => Date.parse(x.since) < requestedAt - graceMs - CLOCK_SLACK_MS).length;
        const seen = snap.sockets.filter((x) => this.socketOld(x.id, snap.at, graceMs)).length;
        if (seen >= expected) {
            this.socketsUnseen = null;
            return;
        }
        const ports = this.s.sshPorts.join(", ");
        this.socketsUnseen = `ss sees ${seen} SSH connection(s) on sshPorts ${ports} for ${expected} session(s): sshd listens on a port not in sshPorts`;
        if (this.unseenLogged) return;
        this.unseenLogged = true;
        this.opts.onSocketsUnseen?.(
            `${this.socketsUnseen}; sessions without a terminal count while connected. Fix: add sshd's ports (sshd -T, ssh.socket) to sshPorts in agent.json (re-running the installer records them)`,
        );
    }

    /** Credits no-terminal sessions with the traffic between the kept snapshots and this one. */
    credit(cur: TrafficSnapshot, requestedAt: number = cur.at, birthsNoted = false): void {
        if (!birthsNoted) this.noteBirths(cur, requestedAt);
        const history = this.snaps.filter((p) => p.at < cur.at);
        this.snaps = [...history.filter((p) => p.at >= cur.at - TRAFFIC_WINDOW_MS), cur];
        // Keep the newest snapshot older than the window too while nothing newer exists (long periods).
        if (this.snaps.length === 1 && history.length > 0) this.snaps.unshift(history[history.length - 1]);
        const notty = this.latest.filter((x) => x.ttys.length === 0);
        const cpuNow = new Map(notty.map((x) => [sessionKey(x), cpuNs(this.s.procRoot, x.pid)]));
        if (this.snaps.length >= 2) {
            const cpuUsed = (x: Session): number => (cpuNow.get(sessionKey(x)) ?? 0) - (this.nottyCpu.get(sessionKey(x)) ?? 0);
            const ranked = [...notty].sort((a, b) => cpuUsed(b) - cpuUsed(a) || b.pid - a.pid);
            for (const x of this.creditedSessions(cur, ranked)) this.nottyLast.set(sessionKey(x), cur.at);
        }
        this.nottyCpu.clear();
        for (const [k, v] of cpuNow) this.nottyCpu.set(k, v);
        const live = new Set(this.latest.map(sessionKey));
        for (const k of [...this.nottyLast.keys()]) if (!live.has(k)) this.nottyLast.delete(k);
    }

    /** Whether a socket is at least graceMs old at `at` (or of unknown age: seen in the first snapshot or after a gap). */
    private socketOld(id: string, at: number, graceMs: number): boolean {
        const b = this.births.get(id);
        return b === undefined || b.bornAfter === -Infinity || at - b.at >= graceMs;
    }

    /** Records when each socket was first seen; a socket missing from the previous snapshot was born after it. */
    private noteBirths(cur: TrafficSnapshot, requestedAt: number): void {
        const bornAfter = this.lastSnapRequestedAt ?? -Infinity;
        const ids = new Set(cur.sockets.map((x) => x.id));
        for (const id of [...this.births.keys()]) if (!ids.has(id)) this.births.delete(id);
        for (const id of ids) if (!this.births.has(id)) this.births.set(id, { at: cur.at, bornAfter });
        this.lastSnapRequestedAt = requestedAt;
    }

    /**
     * Which no-terminal sessions (ranked, busiest sshd first) the busy connections credit. An old
     * socket credits any session; a young one (may be unauthenticated) only a session that logged
     * in after it appeared. Terminal sessions with input explain one busy connection each, a young
     * one first where the terminal session is new enough to own it.
     */
    private creditedSessions(cur: TrafficSnapshot, ranked: readonly Session[]): Session[] {
        const { busy, windowStart } = this.busyConnections(cur);
        const graceMs = (this.s.loginGraceSeconds ?? agentConfigDefaults.loginGraceSeconds) * 1000;
        const young: number[] = []; // bornAfter of each young busy socket
        let old = 0;
        for (const id of busy) {
            const b = this.births.get(id);
            if (b === undefined || this.socketOld(id, cur.at, graceMs)) old++;
            else young.push(b.bornAfter);
        }
        young.sort((a, b) => b - a); // the most restrictive first
        const newer = (x: Session, bornAfter: number): boolean => Date.parse(x.since) > bornAfter - CLOCK_SLACK_MS;
        const typed = this.latest.filter((x) => x.ttys.length > 0 && (latestInputAt(this.s.devRoot, x.ttys) ?? 0) >= windowStart);
        for (const t of typed) {
            const i = young.findIndex((b) => newer(t, b));
            if (i >= 0) young.splice(i, 1);
            else if (old > 0) old--;
        }
        const out: Session[] = [];
        const left = [...ranked];
        for (const b of young) {
            const i = left.findIndex((x) => newer(x, b));
            if (i >= 0) out.push(...left.splice(i, 1));
        }
        return [...out, ...left.slice(0, old)];
    }

    /** Sockets over a threshold since the oldest kept snapshot that saw them, and where that window starts. */
    private busyConnections(cur: TrafficSnapshot): { busy: string[]; windowStart: number } {
        const first = new Map<string, { at: number; bytesReceived: number; bytesAcked: number }>();
        for (const p of this.snaps.slice(0, -1)) {
            for (const sock of p.sockets)
                if (!first.has(sock.id)) first.set(sock.id, { at: p.at, bytesReceived: sock.bytesReceived, bytesAcked: sock.bytesAcked });
        }
        const busy: string[] = [];
        let windowStart = cur.at;
        for (const sock of cur.sockets) {
            const f = first.get(sock.id);
            const rate = f === undefined ? null : socketRate(f, { at: cur.at, ...sock });
            if (f === undefined || rate === null) continue;
            windowStart = Math.min(windowStart, f.at);
            const up = rate.bytesPerMinute >= this.s.trafficBytesPerMinute;
            const down = this.s.downloadBytesPerMinute > 0 && rate.sentBytesPerMinute >= this.s.downloadBytesPerMinute;
            if (up || down) busy.push(sock.id);
        }
        return { busy, windowStart };
    }
}
