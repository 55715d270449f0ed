// Keep-awake holds: one small JSON file per hold in holdsDir (mode 1777 on the box, so any user
// can add holds; the sticky bit means only the owner or root can remove one). A hold counts as
// one active session until it expires, or until its owner process (keep-awake) is gone.
// Creating, refreshing and removing holds; what a hold file may say and how it is trusted:
// hold-file.ts; how much of the directory one scan reads: holds-scan.ts.
import { randomBytes } from "node:crypto";
import { renameSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { MAX_HOLD_MS } from "../system/duration";
import { errnoCode, errorMessage, RuntimeError } from "../../../common/errors";
import { readStat } from "../system/proc";
import { printable } from "../system/text";
import { systemClock } from "../system/clock";
import { ExpiredHold, Hold, HOLD_ID, MAX_HOLDS_PER_USER, REAL_PROC } from "./hold-file";
import { HoldScan, scanHoldFiles } from "./holds-scan";

export { HOLD_REFRESH_MS, MAX_HOLDS_PER_USER } from "./hold-file";
export type { Hold } from "./hold-file";
export type { HoldScan } from "./holds-scan";
export { MAX_OPEN_PER_USER } from "./holds-scan";

function currentUser(): { user: string; uid: number } {
    try {
        const u = userInfo();
        return { user: u.username, uid: u.uid };
    } catch {
        const uid = process.getuid?.() ?? -1;
        return { user: String(uid), uid };
    }
}

/** The holds in holdsDir now, reading a bounded part of it (holds-scan.ts). */
export function scanHolds(holdsDir: string, now = systemClock.wall()): HoldScan {
    return scanHoldFiles(holdsDir, now);
}

/** Removes one entry of holdsDir (a name read from it) if we may (its owner, or root); false when not ours or gone. */
export function tryRemoveEntry(holdsDir: string, name: string): boolean {
    try {
        unlinkSync(join(holdsDir, name));
        return true;
    } catch {
        return false;
    }
}

/** Removes one hold file if we may. */
export function tryRemoveHold(holdsDir: string, id: string): boolean {
    return tryRemoveEntry(holdsDir, `${id}.json`);
}

/** Removes the expired holds we are allowed to remove. */
function removeExpired(holdsDir: string, expired: readonly ExpiredHold[]): number {
    return expired.filter((h) => tryRemoveHold(holdsDir, h.id)).length;
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
    const scan = scanHolds(holdsDir, now);
    // The user's own expired holds go now (a daemon that is not root cannot remove them).
    removeExpired(
        holdsDir,
        scan.expired.filter((h) => h.uid === me.uid),
    );
    if (scan.active.filter((h) => h.uid === me.uid).length >= MAX_HOLDS_PER_USER) {
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
    if (!HOLD_ID.test(id)) throw new RuntimeError(`bad hold id "${id}"`);
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
