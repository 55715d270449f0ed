// Signal: non-SSH network traffic (downloads and uploads: `docker pull`, `pip install`, `aws s3 cp`)
// at or above transferBytesPerMinute counts as one active, for sessionIdleSeconds after it was last
// seen (with sessionIdleSeconds 0: while it lasts). Measured once per publish period from the
// interface counters in /proc/net/dev (every connection, however short: pip and docker open one per
// file or layer), loopback and containers' virtual interfaces left out, minus what the SSH sockets carried (the shared `ss` run of
// tcp-traffic.ts), so SSH traffic is judged by the SSH rule only. Rules and figures:
// docs/reference/metric.md, "Transfers".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KeptUp } from "../../../common/metric";
import { Signal, SignalInput } from "./signal";
import { SnapshotResult, SocketCounters, SocketSnapshots, TrafficSnapshot } from "./tcp-traffic";

/** Bytes on the wire per TCP segment beyond its payload (Ethernet 14 + IPv6 40 + TCP 32 = 86), rounded up: SSH is never under-subtracted. */
const SEGMENT_OVERHEAD_BYTES = 100;
/** Retransmissions and SSH's own packets on top of the acknowledged payload, on the safe side. */
const SSH_PAYLOAD_MARGIN = 1.05;

export interface TransferSettings {
    procRoot: string;
    /** 0: off (nothing is read). */
    transferBytesPerMinute: number;
    /** How long a transfer counts after it was last seen; 0: only while it lasts. */
    sessionIdleSeconds: number;
    publishSeconds: number;
    sshPorts: readonly number[];
}

export interface TransferOptions {
    /** The daemon measures; `status` (a fresh process) does not and relies on `seed`. */
    measure: boolean;
    /** The shared `ss` runs (client-traffic.ts uses the same); default: this signal's own. */
    sockets?: SocketSnapshots;
    snapshot?: (ports: readonly number[]) => Promise<TrafficSnapshot>;
    /** The daemon's last sighting (from its status file). */
    seed?: TransferSeen | null;
}

/** The last measurement at or above the threshold. */
export interface TransferSeen {
    at: number;
    bytesPerMinute: number;
}

export interface TransferUse {
    on: boolean;
    inUse: boolean;
    /** Non-SSH bytes per minute, both ways, over the last measured period; null: off or not measured yet. */
    bytesPerMinute: number | null;
    lastBusyAt: string | null;
    lastBusyBytesPerMinute: number | null;
    /** How SSH was taken out: "ss" (subtracted), "no sessions" (none to take out), "ss failed" (not taken out: counts as transfer). */
    ssh: "ss" | "no sessions" | "ss failed" | null;
    /** Why there is no figure (no /proc/net/dev). */
    reason?: string;
}

/** Receive + transmit bytes per interface, loopback and containers' interfaces left out; null when the file cannot be read. */
export function readNetDev(procRoot: string): Map<string, number> | null {
    let text: string;
    try {
        text = readFileSync(join(procRoot, "net", "dev"), "utf8");
    } catch {
        return null;
    }
    return parseNetDev(text);
}

/**
 * Virtual interfaces of containers and VMs on the box: Docker's bridges (docker0, br-<id>) and
 * the veth pair of every container, libvirt's virbr*, podman's and Kubernetes' CNI bridges (cni*),
 * and the overlays flannel*, cali* and vxlan*. Left out: traffic between containers (an idle
 * compose stack talking to itself) is the box talking to itself, and a container's download,
 * which crosses the physical interface, the bridge and its veth, would count three times. Traffic
 * to or from the internet always crosses the physical interface and is counted there, once.
 * VPN interfaces (tun*, wg*) stay: their traffic may count twice (inside the tunnel and again
 * encrypted on the physical interface), which errs toward "in use". docs/reference/metric.md.
 */
const VIRTUAL_INTERFACE = /^(?:docker\d*|veth|br-|virbr|cni|flannel|cali|vxlan)/;

/**
 * Parses /proc/net/dev (two header lines, then `iface: rx_bytes rx_packets ... (8 receive
 * fields) tx_bytes ...`). Loopback is left out: it is the box talking to itself (never a download),
 * it carries the second leg of every SSH port forward (VS Code Remote-SSH's traffic crosses it
 * between sshd and its server), and it counts each byte twice, once received and once sent.
 * Containers' virtual interfaces are left out too (VIRTUAL_INTERFACE).
 */
export function parseNetDev(text: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const line of text.split("\n").slice(2)) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const f = line
            .slice(colon + 1)
            .trim()
            .split(/\s+/)
            .map(Number);
        if (name === "lo" || VIRTUAL_INTERFACE.test(name) || f.length < 16 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) continue;
        out.set(name, f[0] + f[8]);
    }
    return out;
}

/** Bytes an SSH socket carried on the wire: payload both ways with a margin, plus segment headers. */
function wireBytes(s: SocketCounters): number {
    return (s.bytesReceived + s.bytesAcked) * SSH_PAYLOAD_MARGIN + (s.segs ?? 0) * SEGMENT_OVERHEAD_BYTES;
}

/** An SSH socket at one reading: its counters and its wire bytes per ms since the reading before (null: first seen). */
interface SshSocketReading {
    counters: SocketCounters;
    perMs: number | null;
}

/**
 * What the SSH sockets carried between two readings `ms` apart, on the safe side: a socket new
 * since `before` counts from its start; a socket gone since (a finished scp) is taken to have kept
 * its last rate to the end (or, seen once, to have moved as much again), since its last bytes
 * are no longer in any counter `ss` can read.
 */
function sshBytesBetween(before: ReadonlyMap<string, SshSocketReading>, after: readonly SocketCounters[], ms: number): number {
    let sum = 0;
    const present = new Set<string>();
    for (const s of after) {
        present.add(s.id);
        const b = before.get(s.id)?.counters;
        const fresh = b === undefined || s.bytesReceived < b.bytesReceived || s.bytesAcked < b.bytesAcked;
        sum += fresh ? wireBytes(s) : wireBytes(s) - wireBytes(b);
    }
    for (const [id, b] of before) if (!present.has(id)) sum += b.perMs === null ? wireBytes(b.counters) : b.perMs * ms;
    return sum;
}

/** Each SSH socket of a reading with its rate since the reading before. */
function sshReadings(before: ReadonlyMap<string, SshSocketReading>, after: readonly SocketCounters[], ms: number): Map<string, SshSocketReading> {
    const out = new Map<string, SshSocketReading>();
    for (const s of after) {
        const b = before.get(s.id)?.counters;
        const d = b === undefined ? -1 : wireBytes(s) - wireBytes(b);
        out.set(s.id, { counters: s, perMs: d >= 0 && ms > 0 ? d / ms : null });
    }
    return out;
}

/** Interface bytes between two reads; an interface new since `before` counts from its start. */
function netBytesBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
    let sum = 0;
    for (const [name, bytes] of after) {
        const b = before.get(name) ?? 0;
        sum += bytes >= b ? bytes - b : bytes; // counters reset (interface re-created): from its start
    }
    return sum;
}

/** "1.8 MiB/min", "512 KiB/min", "900 B/min". */
function formatRate(bytesPerMinute: number): string {
    if (bytesPerMinute >= 1024 * 1024) return `${(bytesPerMinute / (1024 * 1024)).toFixed(1)} MiB/min`;
    if (bytesPerMinute >= 1024) return `${Math.round(bytesPerMinute / 1024)} KiB/min`;
    return `${Math.round(bytesPerMinute)} B/min`;
}

interface NetReading {
    at: number;
    net: Map<string, number>;
    ssh: Map<string, SshSocketReading>;
}

export class NetTransfer implements Signal<TransferUse> {
    readonly name = "net-transfer";
    private readonly sockets: SocketSnapshots;
    private prev: NetReading | null = null;
    private lastReadAt = -Infinity;
    private rate: number | null = null;
    private seen: TransferSeen | null;
    private ssh: TransferUse["ssh"] = null;
    private reason: string | undefined;

    constructor(
        private readonly s: TransferSettings,
        private readonly opts: TransferOptions,
    ) {
        this.seen = opts.seed ?? null;
        this.sockets = opts.sockets ?? new SocketSnapshots(s.sshPorts, s.publishSeconds * 1000, opts.snapshot);
        this.sockets.subscribe((r) => this.onSnapshot(r));
    }

    /** The last sighting above the threshold (for the status file, so a restart or `status` keeps it). */
    lastSeen(): TransferSeen | null {
        return this.seen;
    }

    sample({ now, sessions }: SignalInput): { active: number; detail: TransferUse } {
        const on = this.s.transferBytesPerMinute > 0;
        if (on && this.opts.measure && now - this.lastReadAt >= this.s.publishSeconds * 1000) {
            // SSH traffic needs a session (scp and sftp are sessions too): without one, no `ss`.
            if (sessions.length > 0) this.sockets.request(now);
            else this.measure(now, [], "no sessions");
        }
        const inUse = on && this.inUse(now);
        const detail: TransferUse = {
            on,
            inUse,
            bytesPerMinute: on ? this.rate : null,
            lastBusyAt: this.seen === null ? null : new Date(this.seen.at).toISOString(),
            lastBusyBytesPerMinute: this.seen?.bytesPerMinute ?? null,
            ssh: this.ssh,
            ...(this.reason === undefined ? {} : { reason: this.reason }),
        };
        return { active: inUse ? 1 : 0, detail };
    }

    /** What keeps the box up, for `status` and the KeptUpBy metric ("1.8 MiB/min non-SSH traffic"). */
    static keptUp(d: TransferUse): KeptUp[] {
        if (!d.inUse || d.lastBusyBytesPerMinute === null) return [];
        return [{ signal: "transfer", detail: `${formatRate(d.lastBusyBytesPerMinute)} non-SSH traffic` }];
    }

    private inUse(now: number): boolean {
        if (this.s.sessionIdleSeconds === 0) return this.rate !== null && this.rate >= this.s.transferBytesPerMinute;
        return this.seen !== null && now - this.seen.at < this.s.sessionIdleSeconds * 1000;
    }

    private onSnapshot(r: SnapshotResult): void {
        if (this.s.transferBytesPerMinute <= 0 || !this.opts.measure) return;
        // Without `ss`, SSH traffic cannot be taken out: it counts as a transfer (fail toward in use).
        if (r.ok) this.measure(r.snap.at, r.snap.sockets, "ss");
        else this.measure(Math.max(r.requestedAt, Date.now()), null, "ss failed");
    }

    /** One reading of the interface counters with the SSH sockets of the same moment (null: unknown). */
    private measure(at: number, sshSockets: readonly SocketCounters[] | null, how: NonNullable<TransferUse["ssh"]>): void {
        this.lastReadAt = at;
        const net = readNetDev(this.s.procRoot);
        if (net === null) {
            this.reason = `cannot read ${join(this.s.procRoot, "net", "dev")}`;
            this.prev = null;
            this.rate = null;
            return;
        }
        this.reason = undefined;
        const prev = this.prev;
        const ms = prev === null ? 0 : at - prev.at;
        this.prev = { at, net, ssh: sshReadings(prev?.ssh ?? new Map(), sshSockets ?? [], ms) };
        if (prev === null || ms <= 0) return;
        const sshBytes = sshSockets === null ? 0 : sshBytesBetween(prev.ssh, sshSockets, ms);
        this.rate = (Math.max(0, netBytesBetween(prev.net, net) - sshBytes) * 60000) / (at - prev.at);
        this.ssh = how;
        if (this.rate >= this.s.transferBytesPerMinute) this.seen = { at, bytesPerMinute: this.rate };
    }
}
