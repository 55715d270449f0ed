// Reading holdsDir with bounded work, whatever anyone put in it: a scan reads at most
// MAX_SCAN_ENTRIES directory entries and stats each hold-named one; files past their 7-day limit
// (by ctime) are expired without being opened; of each owner's other files it opens only the
// MAX_OPEN_PER_USER most recently changed, and at most MAX_OPEN_TOTAL in all. A directory with more
// than one scan reads fails toward "in use" (overflow): an unread file could be someone's valid
// hold. Limits and what happens beyond them: docs/reference/agent.md (hold, release, keep-awake).
import { Dir, lstatSync, opendirSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_HOLD_MS } from "../system/duration";
import { ExpiredHold, Hold, HOLD_FILE, holdActive, holdUser, MAX_HOLD_FILE, MAX_HOLDS_PER_USER, parseHold, readSmallFile } from "./hold-file";

/** Directory entries one scan reads (any name: junk costs a read too). */
export const MAX_SCAN_ENTRIES = 10000;
/** Hold files opened per owner per scan: that owner's most recently changed ones. */
export const MAX_OPEN_PER_USER = 16;
/** Hold files opened per scan in all. */
const MAX_OPEN_TOTAL = 1000;
/** Expired holds listed per scan (for the daemon's cleanup and log); the rest are only counted. */
const MAX_EXPIRED_LISTED = 1000;

/** Work done by scans since the process started (tests read it to see that a cached sample opens nothing). */
export const scanWork = { scans: 0, statted: 0, opened: 0 };

export interface HoldScan {
    active: Hold[];
    /** Expired holds, at most MAX_EXPIRED_LISTED of them. */
    expired: ExpiredHold[];
    /** How many expired holds the scan found (listed or not). */
    expiredCount: number;
    /** Active holds beyond MAX_HOLDS_PER_USER of one user: not counted. */
    ignored: Hold[];
    /** Hold files not opened because their owner had more than MAX_OPEN_PER_USER (they only hide that owner's holds). */
    unread: number;
    /** The directory holds more than one scan reads (entries or files to open): some holds may be unseen. */
    overflow: boolean;
}

interface Candidate {
    id: string;
    path: string;
    uid: number;
    ctimeMs: number;
}

/** Reads at most `max` entries; `more` says whether the directory had others. */
function readEntries(holdsDir: string, max: number): { names: string[]; more: boolean } {
    let dir: Dir;
    try {
        dir = opendirSync(holdsDir);
    } catch {
        return { names: [], more: false };
    }
    const names: string[] = [];
    try {
        for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
            if (names.length >= max) return { names, more: true };
            names.push(e.name);
        }
        return { names, more: false };
    } catch {
        return { names, more: false };
    } finally {
        dir.closeSync();
    }
}

function addExpired(out: HoldScan, h: ExpiredHold): void {
    out.expiredCount++;
    if (out.expired.length < MAX_EXPIRED_LISTED) out.expired.push(h);
}

/** Stats the hold-named entries: those past their limit are expired, the rest grouped by owner. */
function candidatesByOwner(holdsDir: string, names: readonly string[], now: number, out: HoldScan): Map<number, Candidate[]> {
    const byUid = new Map<number, Candidate[]>();
    for (const name of names) {
        const m = HOLD_FILE.exec(name);
        if (!m) continue;
        const path = join(holdsDir, name);
        scanWork.statted++;
        const st = lstatSync(path, { throwIfNoEntry: false });
        if (!st?.isFile() || st.size > MAX_HOLD_FILE) continue;
        if (st.ctimeMs + MAX_HOLD_MS <= now) {
            addExpired(out, { id: m[1], uid: st.uid, user: holdUser(st.uid), reason: null });
            continue;
        }
        const list = byUid.get(st.uid) ?? [];
        list.push({ id: m[1], path, uid: st.uid, ctimeMs: st.ctimeMs });
        byUid.set(st.uid, list);
    }
    return byUid;
}

/** The files to open: each owner's MAX_OPEN_PER_USER most recently changed, newest first overall. */
function toOpen(byUid: Map<number, Candidate[]>, out: HoldScan): Candidate[] {
    const chosen: Candidate[] = [];
    for (const list of byUid.values()) {
        list.sort((a, b) => b.ctimeMs - a.ctimeMs || a.id.localeCompare(b.id));
        chosen.push(...list.slice(0, MAX_OPEN_PER_USER));
        out.unread += Math.max(0, list.length - MAX_OPEN_PER_USER);
    }
    chosen.sort((a, b) => b.ctimeMs - a.ctimeMs || a.id.localeCompare(b.id));
    if (chosen.length > MAX_OPEN_TOTAL) out.overflow = true;
    return chosen.slice(0, MAX_OPEN_TOTAL);
}

/** Every user's first MAX_HOLDS_PER_USER active holds (oldest first) count; the rest are ignored. */
function capPerUser(out: HoldScan): void {
    const byTime = (a: Hold, b: Hold): number => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
    out.active.sort(byTime);
    const perUser = new Map<number, number>();
    out.active = out.active.filter((h) => {
        const n = (perUser.get(h.uid) ?? 0) + 1;
        perUser.set(h.uid, n);
        if (n <= MAX_HOLDS_PER_USER) return true;
        out.ignored.push(h);
        return false;
    });
}

/**
 * Whether the directory gained, lost or renamed an entry within the 7-day hold limit (its mtime or
 * ctime). An unread file can only be a valid hold if it was written within the limit, and writing
 * it changed the directory: past that, the unread rest is junk and no longer counts as a hold.
 */
function changedWithinLimit(holdsDir: string, now: number): boolean {
    const st = dirStamp(holdsDir);
    return st === null || Math.max(st.mtimeMs, st.ctimeMs) + MAX_HOLD_MS > now;
}

/** The holds in holdsDir at `now`, reading a bounded part of it. */
export function scanHoldFiles(holdsDir: string, now: number): HoldScan {
    const out: HoldScan = { active: [], expired: [], expiredCount: 0, ignored: [], unread: 0, overflow: false };
    scanWork.scans++;
    const { names, more } = readEntries(holdsDir, MAX_SCAN_ENTRIES);
    out.overflow = more && changedWithinLimit(holdsDir, now);
    for (const c of toOpen(candidatesByOwner(holdsDir, names, now, out), out)) {
        scanWork.opened++;
        const f = readSmallFile(c.path);
        const h = f && parseHold(f.text, f.uid, f.ctimeMs, c.id);
        if (!h) continue;
        if (holdActive(h, now)) out.active.push(h);
        else addExpired(out, h);
    }
    capPerUser(out);
    return out;
}

/** The directory's own identity and change times: any entry added, removed or renamed changes them. */
interface DirStamp {
    dev: number;
    ino: number;
    mtimeMs: number;
    ctimeMs: number;
}

function dirStamp(holdsDir: string): DirStamp | null {
    try {
        const st = statSync(holdsDir);
        return { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    } catch {
        return null;
    }
}

function sameStamp(a: DirStamp, b: DirStamp): boolean {
    return a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * A directory changed this recently before a scan may change again within the same timestamp tick
 * (the kernel's clock is coarse), unseen by the stamp: such a scan is not reused.
 */
const RACY_MS = 2000;

/** When a cached scan's answer could change with no change to the directory: the first hold limit or end. */
function nextDeadline(scan: HoldScan): number {
    let t = Infinity;
    for (const h of [...scan.active, ...scan.ignored]) {
        t = Math.min(t, Date.parse(h.limitAt));
        if (h.expiresAt !== null) t = Math.min(t, Date.parse(h.expiresAt));
    }
    return t;
}

/**
 * The daemon's per-sample scan, which redoes the full scan only when it could find something new:
 * when the directory changed (a new hold is a new entry: seen on the next sample), when a hold it
 * counted ends (its time, or its owner process gone: another of that user's may take its place),
 * or `rescanMs` after the last scan (a hold file rewritten in place changes no directory time).
 * Between scans it only re-checks its holds' owners, so a directory full of junk costs one stat
 * per sample instead of thousands (docs/reference/agent.md, holds).
 */
export class HoldScanner {
    private last: { stamp: DirStamp; at: number; until: number; scan: HoldScan } | null = null;

    constructor(
        private readonly holdsDir: string,
        private readonly rescanMs: number,
    ) {}

    /** The scan at `now`, and whether it was redone (false: the cached one, nothing opened). */
    scan(now: number): { scan: HoldScan; fresh: boolean } {
        const stamp = dirStamp(this.holdsDir);
        const last = this.last;
        if (stamp && last && sameStamp(stamp, last.stamp) && now >= last.at && now < last.until && last.scan.active.every((h) => holdActive(h, now)))
            return { scan: last.scan, fresh: false };
        const scan = scanHoldFiles(this.holdsDir, now);
        const racy = stamp === null || now - Math.max(stamp.mtimeMs, stamp.ctimeMs) < RACY_MS;
        this.last = racy ? null : { stamp, at: now, until: Math.min(now + this.rescanMs, nextDeadline(scan)), scan };
        return { scan, fresh: true };
    }
}

/** What a full pass (holdsDir entry by entry) finds: a hold (active or expired), or something else. */
export type HoldEntry =
    { kind: "active" | "expired"; name: string; hold: ExpiredHold } | { kind: "invalid" | "other"; name: string; uid: number; ctimeMs: number };

/**
 * Visits every entry of holdsDir one by one, in constant memory and without a cap (for `release`,
 * a one-off command, not for every sample). Directories are skipped; files past their limit are
 * not opened. "invalid": a hold-named file that is not a hold; "other": any other name.
 */
export function forEachHoldEntry(holdsDir: string, now: number, visit: (e: HoldEntry) => void): void {
    let dir: Dir;
    try {
        dir = opendirSync(holdsDir);
    } catch {
        return;
    }
    try {
        for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
            const entry = classify(holdsDir, e.name, now);
            if (entry) visit(entry);
        }
    } finally {
        dir.closeSync();
    }
}

function classify(holdsDir: string, name: string, now: number): HoldEntry | null {
    const path = join(holdsDir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) return null;
    const m = HOLD_FILE.exec(name);
    if (!m) return { kind: "other", name, uid: st.uid, ctimeMs: st.ctimeMs };
    if (st.isFile() && st.ctimeMs + MAX_HOLD_MS <= now)
        return { kind: "expired", name, hold: { id: m[1], uid: st.uid, user: holdUser(st.uid), reason: null } };
    const f = st.isFile() && st.size <= MAX_HOLD_FILE ? readSmallFile(path) : null;
    const h = f && parseHold(f.text, f.uid, f.ctimeMs, m[1]);
    if (!h) return { kind: "invalid", name, uid: st.uid, ctimeMs: st.ctimeMs };
    return { kind: holdActive(h, now) ? "active" : "expired", name, hold: h };
}
