// The hold file: its format, how one is read without trusting its writer, and when a hold is
// active. Hold files are written by any user, so nothing in them is trusted beyond what it can only
// shorten: the owner is the file's uid (the name shown comes from /etc/passwd); an owner process
// must belong to that uid; every hold ends MAX_HOLD_MS after its file was last changed (ctime,
// which no user can set; keep-awake refreshes its file), whatever expiresAt says; times are
// accepted only in strict ISO 8601 form and shown re-formatted, never as written; text fields lose
// their control characters. Rules: docs/reference/agent.md (hold, release, keep-awake).
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { MAX_HOLD_MS } from "../system/duration";
import { processAlive, readUid } from "../system/proc";
import { printable } from "../system/text";
import { userName } from "../system/users";

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
    /** When the hold ends: the time asked or limitAt, whichever comes first; null: lasts while the owner process lives. */
    expiresAt: string | null;
    owner: { pid: number; start: number } | null;
    command?: string;
    /** The hold ends here at the latest: MAX_HOLD_MS after its file was last changed. */
    limitAt: string;
}

/** What is known of an expired hold (one past its limit is never opened: no reason then). */
export type ExpiredHold = Pick<Hold, "id" | "uid" | "user" | "reason">;

export const HOLD_ID = /^[0-9a-f]{8}$/;
export const HOLD_FILE = /^([0-9a-f]{8})\.json$/;
export const MAX_HOLD_FILE = 8192;
// What `hold` writes (toISOString) and what a person would write by hand: date, time, optional
// fraction, Z or an offset. Anything else (Date.parse also takes "(comments)", any bytes) is not a time.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A strict ISO 8601 time as ms since the epoch, or null. */
function isoTime(v: unknown): number | null {
    if (typeof v !== "string" || !ISO_TIME.test(v)) return null;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
}

/** The name shown for a uid (from /etc/passwd; numeric when it has none). */
export function holdUser(uid: number): string {
    return printable(userName(uid) ?? String(uid));
}

export function readSmallFile(path: string): { text: string; uid: number; ctimeMs: number } | null {
    let fd: number;
    try {
        // O_NOFOLLOW|O_NONBLOCK: never follow a symlink planted in the shared dir, never block on a FIFO.
        fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
        return null;
    }
    try {
        const st = fstatSync(fd);
        if (!st.isFile() || st.size > MAX_HOLD_FILE) return null;
        const buf = Buffer.alloc(st.size);
        const n = readSync(fd, buf, 0, st.size, 0);
        return { text: buf.subarray(0, n).toString("utf8"), uid: st.uid, ctimeMs: st.ctimeMs };
    } catch {
        return null;
    } finally {
        closeSync(fd);
    }
}

function parseOwner(v: unknown): Hold["owner"] {
    if (typeof v !== "object" || v === null) return null;
    const ow = v as Record<string, unknown>;
    return Number.isSafeInteger(ow.pid) && Number.isSafeInteger(ow.start) ? { pid: ow.pid as number, start: ow.start as number } : null;
}

export function parseHold(text: string, fileUid: number, ctimeMs: number, id: string): Hold | null {
    let v: unknown;
    try {
        v = JSON.parse(text);
    } catch {
        return null;
    }
    if (typeof v !== "object" || v === null) return null;
    const o = v as Record<string, unknown>;
    const limit = ctimeMs + MAX_HOLD_MS;
    const asked = isoTime(o.expiresAt);
    const owner = parseOwner(o.owner);
    if (asked === null && owner === null) return null; // would never end: ignore
    const created = isoTime(o.createdAt);
    return {
        id,
        // The file's owner is the truth; the `user` field in the file is ignored.
        uid: fileUid,
        user: holdUser(fileUid),
        reason: typeof o.reason === "string" ? printable(o.reason) : null,
        createdAt: new Date(created ?? ctimeMs).toISOString(),
        // Re-formatted from the parsed time (never the file's bytes), and never past the limit.
        expiresAt: asked === null ? null : new Date(Math.min(asked, limit)).toISOString(),
        owner,
        command: typeof o.command === "string" ? printable(o.command) : undefined,
        limitAt: new Date(limit).toISOString(),
    };
}

/** Hold owners are real processes: their liveness always comes from the real /proc. */
export const REAL_PROC = "/proc";

export function holdActive(h: Hold, now: number): boolean {
    if (h.expiresAt !== null && Date.parse(h.expiresAt) <= now) return false;
    if (Date.parse(h.limitAt) <= now) return false;
    if (h.owner !== null) {
        if (!processAlive(REAL_PROC, h.owner.pid, h.owner.start)) return false;
        // Someone else's long-lived process (pid 1, a daemon) cannot keep a user's hold alive.
        if (readUid(REAL_PROC, h.owner.pid) !== h.uid) return false;
    }
    return true;
}
