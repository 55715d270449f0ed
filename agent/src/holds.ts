// Keep-awake holds: one small JSON file per hold in holdsDir (mode 1777 on the box, so any user
// can add holds; the sticky bit means only the owner or root can remove one). A hold counts as
// one active session until it expires, or until its owner process (keep-awake) is gone.
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { errnoCode, errorMessage, RuntimeError } from "./errors";
import { processAlive, readStat } from "./proc";

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

function readSmallFile(path: string): { text: string; uid: number } | null {
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
        return { text: buf.subarray(0, n).toString("utf8"), uid: st.uid };
    } catch {
        return null;
    } finally {
        closeSync(fd);
    }
}

function parseHold(text: string, fileUid: number, id: string): Hold | null {
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
    return {
        id,
        // The file's owner is the truth; the name is informational.
        uid: fileUid,
        user: typeof o.user === "string" ? o.user.slice(0, 64) : String(fileUid),
        reason: typeof o.reason === "string" ? o.reason.slice(0, 200) : null,
        createdAt: typeof o.createdAt === "string" ? o.createdAt : new Date(0).toISOString(),
        expiresAt,
        owner,
        command: typeof o.command === "string" ? o.command.slice(0, 200) : undefined,
    };
}

/** Hold owners are real processes: their liveness always comes from the real /proc. */
const REAL_PROC = "/proc";

export function holdActive(h: Hold, now = Date.now()): boolean {
    if (h.expiresAt !== null && Date.parse(h.expiresAt) <= now) return false;
    if (h.owner !== null && !processAlive(REAL_PROC, h.owner.pid, h.owner.start)) return false;
    return true;
}

export interface HoldScan {
    active: Hold[];
    expired: Hold[];
}

export function scanHolds(holdsDir: string, now = Date.now()): HoldScan {
    const out: HoldScan = { active: [], expired: [] };
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
        const h = parseHold(f.text, f.uid, m[1]);
        if (!h) continue;
        (holdActive(h, now) ? out.active : out.expired).push(h);
    }
    const byTime = (a: Hold, b: Hold): number => a.createdAt.localeCompare(b.createdAt);
    out.active.sort(byTime);
    out.expired.sort(byTime);
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

export function createHold(holdsDir: string, spec: NewHold, now = Date.now()): Hold {
    const me = currentUser();
    const hold: Hold = {
        id: randomBytes(4).toString("hex"),
        user: me.user,
        uid: me.uid,
        reason: spec.reason ?? null,
        createdAt: new Date(now).toISOString(),
        expiresAt: spec.durationMs === undefined ? null : new Date(now + spec.durationMs).toISOString(),
        owner: spec.owner ?? null,
        command: spec.command,
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
        if (code === "EPERM" || code === "EACCES") throw new RuntimeError(`hold ${id} belongs to someone else (only its owner or root can release it)`);
        throw new RuntimeError(`cannot release hold ${id}: ${errorMessage(e)}`);
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
