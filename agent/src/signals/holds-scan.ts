// Reading holdsDir with bounded work, whatever anyone put in it: a scan reads at most
// MAX_SCAN_ENTRIES directory entries and stats each hold-named one; files past their 7-day limit
// (by ctime) are expired without being opened; of each owner's other files it opens only the
// MAX_OPEN_PER_USER most recently changed, and at most MAX_OPEN_TOTAL in all. A directory with more
// than one scan reads fails toward "in use" (overflow): an unread file could be someone's valid
// hold. Limits and what happens beyond them: docs/reference/agent.md (hold, release, keep-awake).
import { Dir, lstatSync, opendirSync } from "node:fs";
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

/** The holds in holdsDir at `now`, reading a bounded part of it. */
export function scanHoldFiles(holdsDir: string, now: number): HoldScan {
    const out: HoldScan = { active: [], expired: [], expiredCount: 0, ignored: [], unread: 0, overflow: false };
    const { names, more } = readEntries(holdsDir, MAX_SCAN_ENTRIES);
    out.overflow = more;
    for (const c of toOpen(candidatesByOwner(holdsDir, names, now, out), out)) {
        const f = readSmallFile(c.path);
        const h = f && parseHold(f.text, f.uid, f.ctimeMs, c.id);
        if (!h) continue;
        if (holdActive(h, now)) out.active.push(h);
        else addExpired(out, h);
    }
    capPerUser(out);
    return out;
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
