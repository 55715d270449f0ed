// Traffic of SSH connections, per TCP socket, from the kernel's INET_DIAG
// interface. Any user may read every socket's counters that way, but Node has no netlink, so the
// agent runs `ss -tinH state established '( sport = :22 )'` once per publish period (never per
// sample; SocketSnapshots shares that one run between the signals that need it) and compares two
// snapshots: the bytes a client sent between them, per minute.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { systemClock } from "../system/clock";

export interface SocketCounters {
    /** `local peer` addresses: identifies one connection across snapshots. */
    id: string;
    /** Payload bytes received from the client since the connection began (tcpi_bytes_received). */
    bytesReceived: number;
    /** Payload bytes the client acknowledged receiving (tcpi_bytes_acked): downloads. */
    bytesAcked: number;
    /** Segments both ways (segs_in + segs_out, acknowledgements included): their headers, for net-transfer.ts. */
    segs?: number;
}

export interface TrafficSnapshot {
    at: number;
    sockets: SocketCounters[];
}

/** The `ss` filter for established sockets whose local port is one of `ports`. */
export function ssArgs(ports: readonly number[]): string[] {
    const filter = ports.map((p) => `sport = :${p}`).join(" or ");
    return ["-tinH", "state", "established", `( ${filter} )`];
}

/**
 * Parses `ss -tinH state established` output: a socket line (`Recv-Q Send-Q Local Peer`), then an
 * indented line of TCP info that carries `bytes_received:N` (absent until the peer sent data).
 */
export function parseSs(text: string): SocketCounters[] {
    return parseSsLines(text, false);
}

/** parseSs with each socket's segment count (segs_in + segs_out) too. */
function parseSsWithSegments(text: string): SocketCounters[] {
    return parseSsLines(text, true);
}

function parseSsLines(text: string, withSegs: boolean): SocketCounters[] {
    const out: SocketCounters[] = [];
    let cur: SocketCounters | null = null;
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        if (!/^\s/.test(line)) {
            const f = line.trim().split(/\s+/);
            if (f.length < 4) {
                cur = null;
                continue;
            }
            cur = { id: `${f[2]} ${f[3]}`, bytesReceived: 0, bytesAcked: 0, ...(withSegs ? { segs: 0 } : {}) };
            out.push(cur);
        } else if (cur !== null) {
            const m = /\bbytes_received:(\d+)/.exec(line);
            if (m) cur.bytesReceived = Number(m[1]);
            const a = /\bbytes_acked:(\d+)/.exec(line);
            if (a) cur.bytesAcked = Number(a[1]);
            if (withSegs) cur.segs = [/\bsegs_in:(\d+)/, /\bsegs_out:(\d+)/].reduce((n, re) => n + Number(re.exec(line)?.[1] ?? 0), 0);
        }
    }
    return out;
}

const execFileAsync = promisify(execFile);

/** One snapshot through `ss` (iproute2). Rejects when ss is missing or fails. */
export async function snapshotTraffic(ports: readonly number[], now: () => number = systemClock.wall): Promise<TrafficSnapshot> {
    const { stdout } = await execFileAsync("ss", ssArgs(ports), {
        timeout: 10000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    return { at: now(), sockets: parseSsWithSegments(stdout) };
}

/** What one `ss` run gave: a snapshot, or why there is none. */
export type SnapshotResult = { ok: true; snap: TrafficSnapshot; requestedAt: number } | { ok: false; error: string; requestedAt: number };

/**
 * One `ss` run per publish period at most, shared by the signals that read SSH sockets
 * (client-traffic.ts, net-transfer.ts): each asks when it needs one, every subscriber gets the
 * result. A request while a run is pending, or within a period of the last, does nothing.
 */
export class SocketSnapshots {
    private requestedAt = -Infinity;
    private pending = false;
    private readonly listeners: Array<(r: SnapshotResult) => void> = [];

    constructor(
        private readonly ports: readonly number[],
        private readonly periodMs: number,
        private readonly snapshot: (ports: readonly number[]) => Promise<TrafficSnapshot> = snapshotTraffic,
    ) {}

    subscribe(fn: (r: SnapshotResult) => void): void {
        this.listeners.push(fn);
    }

    /** Starts a run when none is pending and the last began a period or more ago. */
    request(now: number): void {
        if (this.pending || now - this.requestedAt < this.periodMs) return;
        const requestedAt = now;
        this.requestedAt = now;
        this.pending = true;
        this.snapshot(this.ports).then(
            (snap) => this.deliver({ ok: true, snap, requestedAt }),
            (e: unknown) => this.deliver({ ok: false, error: e instanceof Error ? e.message : String(e), requestedAt }),
        );
    }

    private deliver(r: SnapshotResult): void {
        this.pending = false;
        for (const fn of this.listeners) fn(r);
    }
}

export interface SocketRate {
    id: string;
    /** Client-to-server payload bytes per minute between the two snapshots. */
    bytesPerMinute: number;
    /** Server-to-client payload bytes per minute (acknowledged by the client). */
    sentBytesPerMinute: number;
}

/** One socket's counters at one time. */
export interface CounterReading {
    at: number;
    bytesReceived: number;
    bytesAcked: number;
}

/**
 * The traffic rate of one connection between two readings of its counters, in bytes per minute
 * each way; null when there is no rate (no time between them, or the counters went back: not the
 * same connection). The one place the agent, its tests and the bench compute a rate.
 */
export function socketRate(before: CounterReading, after: CounterReading): { bytesPerMinute: number; sentBytesPerMinute: number } | null {
    const ms = after.at - before.at;
    if (ms <= 0 || after.bytesReceived < before.bytesReceived || after.bytesAcked < before.bytesAcked) return null;
    return {
        bytesPerMinute: ((after.bytesReceived - before.bytesReceived) * 60000) / ms,
        sentBytesPerMinute: ((after.bytesAcked - before.bytesAcked) * 60000) / ms,
    };
}

/** Rates of the sockets present in both snapshots (a connection seen once has no rate yet). */
export function trafficRates(prev: TrafficSnapshot, cur: TrafficSnapshot): SocketRate[] {
    const before = new Map(prev.sockets.map((s) => [s.id, s]));
    const out: SocketRate[] = [];
    for (const s of cur.sockets) {
        const b = before.get(s.id);
        const rate = b === undefined ? null : socketRate({ at: prev.at, ...b }, { at: cur.at, ...s });
        if (rate !== null) out.push({ id: s.id, ...rate });
    }
    return out;
}
