// Keep-awake holds: one small JSON file per hold in holdsDir (mode 1777 on the box, so any user
// can add holds; the sticky bit means only the owner or root can remove one). A hold counts as
// one active session until it expires, or until its owner process (keep-awake) is gone.
//
// Hold files are written by any user, so nothing in them is trusted beyond what it can only
// shorten: the owner is the file's uid (the name shown comes from /etc/passwd); an owner process
// must belong to that uid; every hold ends MAX_HOLD_MS after its file was last changed (ctime,
// which no user can set; keep-awake refreshes its file), whatever expiresAt says; each user has
// at most MAX_HOLDS_PER_USER holds counted; text fields lose their control characters.
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, renameSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { MAX_HOLD_MS } from "../system/duration";
import { errnoCode, errorMessage, RuntimeError } from "../../../common/errors";
import { processAlive, readStat, readUid } from "../system/proc";
import { printable } from "../system/text";
import { userName } from "../system/users";
import { systemClock } from "../system/clock";

/** Holds counted per user; more are ignored (and refused by `hold`). */
export const MAX_HOLDS_PER_USER = 10;
/** keep-awake rewrites its hold's timestamps this often, so a long command is not cut at MAX_HOLD_MS. */
export const HOLD_REFRESH_MS = 3600 * 1000;

export interface Hold {
    id: string;
    user: string;
    uid: number;
    reason: string | null;
    createdAt: string;
    /** null: lasts while the owner process lives. */
    expiresAt: string | null;
    owner: { pid: number; start: number } | null;
    command?: string;
    /** The hold ends here at the latest: MAX_HOLD_MS after its file was last changed. */
    limitAt: string;
}

const ID = /^[0-9a-f]{8}$/;
const MAX_FILE = 8192;

function currentUser(): { user: string; uid: number } {
    try {
        const u = userInfo();
        return { user: u.username, uid: u.uid };
    } catch {
        const uid = process.getuid?.() ?? -1;
        return { user: String(uid), uid };
    }
}

function readSmallFile(path: string): { text: string; uid: number; ctimeMs: number } | null {
    let fd: number;
    try {
        // O_NOFOLLOW|O_NONBLOCK: never follow a symlink planted in the shared dir, never block on a FIFO.
        fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
        return null;
    }
    try {
        const st = fstatSync(fd);
        if (!st.isFile() || st.size > MAX_FILE) return null;
        const buf = Buffer.alloc(st.size);
        const n = readSync(fd, buf, 0, st.size, 0);
        return { text: buf.subarray(0, n).toString("utf8"), uid: st.uid, ctimeMs: st.ctimeMs };
    } catch {
        return null;
    } finally {
        closeSync(fd);
    }
}

function parseHold(text: string, fileUid: number, ctimeMs: number, id: string): Hold | null {
    let v: unknown;
    try {
        v = JSON.parse(text);
    } catch {
        return null;
    }
    if (typeof v !== "object" || v === null) return null;
    const o = v as Record<string, unknown>;
    const expiresAt = typeof o.expiresAt === "string" && !Number.isNaN(Date.parse(o.expiresAt)) ? o.expiresAt : null;
    let owner: Hold["owner"] = null;
    if (typeof o.owner === "object" && o.owner !== null) {
        const ow = o.owner as Record<string, unknown>;
        if (typeof ow.pid === "number" && typeof ow.start === "number") owner = { pid: ow.pid, start: ow.start };
    }
    if (expiresAt === null && owner === null) return null; // would never end: ignore
    const createdAt =
        typeof o.createdAt === "string" && !Number.isNaN(Date.parse(o.createdAt))
            ? new Date(Date.parse(o.createdAt)).toISOString()
            : new Date(ctimeMs).toISOString();
    return {
        id,
        // The file's owner is the truth; the `user` field in the file is ignored.
        uid: fileUid,
        user: userName(fileUid) ?? String(fileUid),
        reason: typeof o.reason === "string" ? printable(o.reason) : null,
        createdAt,
        expiresAt,
        owner,
        command: typeof o.command === "string" ? printable(o.command) : undefined,
        limitAt: new Date(ctimeMs + MAX_HOLD_MS).toISOString(),
    };
}

/** Hold owners are real processes: their liveness always comes from the real /proc. */
const REAL_PROC = "/proc";

function holdActive(h: Hold, now: number): boolean {
    if (h.expiresAt !== null && Date.parse(h.expiresAt) <= now) return false;
    if (Date.parse(h.limitAt) <= now) return false;
    if (h.owner !== null) {
        if (!processAlive(REAL_PROC, h.owner.pid, h.owner.start)) return false;
        // Someone else's long-lived process (pid 1, a daemon) cannot keep a user's hold alive.
        if (readUid(REAL_PROC, h.owner.pid) !== h.uid) return false;
    }
    return true;
}

export interface HoldScan {
    active: Hold[];
    expired: Hold[];
    /** Active holds beyond MAX_HOLDS_PER_USER of one user: not counted. */
    ignored: Hold[];
}

export function scanHolds(holdsDir: string, now = systemClock.wall()): HoldScan {
    const out: HoldScan = { active: [], expired: [], ignored: [] };
    let names: string[];
    try {
        names = readdirSync(holdsDir);
    } catch {
        return out;
    }
    for (const name of names) {
        const m = /^([0-9a-f]{8})\.json$/.exec(name);
        if (!m) continue;
        const f = readSmallFile(join(holdsDir, name));
        if (!f) continue;
        const h = parseHold(f.text, f.uid, f.ctimeMs, m[1]);
        if (!h) continue;
        (holdActive(h, now) ? out.active : out.expired).push(h);
    }
    const byTime = (a: Hold, b: Hold): number => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
    out.active.sort(byTime);
    out.expired.sort(byTime);
    const perUser = new Map<number, number>();
    out.active = out.active.filter((h) => {
        const n = (perUser.get(h.uid) ?? 0) + 1;
        perUser.set(h.uid, n);
        if (n <= MAX_HOLDS_PER_USER) return true;
        out.ignored.push(h);
        return false;
    });
    return out;
}

/** Removes expired holds we are allowed to remove (the daemon, as root, removes all). */
export function removeExpired(holdsDir: string, expired: Hold[]): number {
    let n = 0;
    for (const h of expired) {
        try {
            unlinkSync(join(holdsDir, `${h.id}.json`));
            n++;
        } catch {
            /* not ours, or gone */
        }
    }
    return n;
}

export interface NewHold {
    durationMs?: number;
    reason?: string;
    owner?: { pid: number; start: number };
    command?: string;
}

export function createHold(holdsDir: string, spec: NewHold, now = systemClock.wall()): Hold {
    const me = currentUser();
    if (spec.durationMs !== undefined && spec.durationMs > MAX_HOLD_MS) throw new RuntimeError(`a hold lasts at most ${MAX_HOLD_MS / 86400000} days`);
    if (scanHolds(holdsDir, now).active.filter((h) => h.uid === me.uid).length >= MAX_HOLDS_PER_USER) {
        throw new RuntimeError(`${me.user} already has ${MAX_HOLDS_PER_USER} holds, the most that count; release one first (idle-stop release ID)`);
    }
    const hold: Hold = {
        id: randomBytes(4).toString("hex"),
        user: me.user,
        uid: me.uid,
        reason: spec.reason === undefined ? null : printable(spec.reason),
        createdAt: new Date(now).toISOString(),
        expiresAt: spec.durationMs === undefined ? null : new Date(now + spec.durationMs).toISOString(),
        owner: spec.owner ?? null,
        command: spec.command === undefined ? undefined : printable(spec.command),
        limitAt: new Date(now + MAX_HOLD_MS).toISOString(),
    };
    const final = join(holdsDir, `${hold.id}.json`);
    const tmp = join(holdsDir, `.${hold.id}.${process.pid}.tmp`);
    try {
        writeFileSync(tmp, `${JSON.stringify(hold)}\n`, { mode: 0o644, flag: "wx" });
        renameSync(tmp, final);
    } catch (e) {
        try {
            unlinkSync(tmp);
        } catch {
            /* nothing written */
        }
        throw new RuntimeError(`cannot write hold in ${holdsDir}: ${errorMessage(e)}`);
    }
    return hold;
}

/** Owner record for the current process (pid + start time, to survive pid reuse). */
export function selfOwner(): { pid: number; start: number } {
    const st = readStat(REAL_PROC, process.pid);
    if (!st) throw new RuntimeError(`cannot read ${REAL_PROC}/${process.pid}/stat`);
    return { pid: process.pid, start: st.starttime };
}

export function removeHold(holdsDir: string, id: string): void {
    if (!ID.test(id)) throw new RuntimeError(`bad hold id "${id}"`);
    try {
        unlinkSync(join(holdsDir, `${id}.json`));
    } catch (e) {
        const code = errnoCode(e);
        if (code === "ENOENT") throw new RuntimeError(`no hold ${id}`);
        if (code === "EPERM" || code === "EACCES")
            throw new RuntimeError(`hold ${id} belongs to someone else (only its owner or root can release it)`);
        throw new RuntimeError(`cannot release hold ${id}: ${errorMessage(e)}`);
    }
}

/** Marks a hold file as changed now (keep-awake, every HOLD_REFRESH_MS), which moves its limitAt. */
export function refreshHold(holdsDir: string, id: string, nowMs = systemClock.wall()): void {
    try {
        const now = new Date(nowMs);
        utimesSync(join(holdsDir, `${id}.json`), now, now);
    } catch {
        /* released meanwhile */
    }
}

/** Quietly remove a hold (keep-awake cleanup). */
export function dropHold(holdsDir: string, id: string): void {
    try {
        unlinkSync(join(holdsDir, `${id}.json`));
    } catch {
        /* already gone */
    }
}
