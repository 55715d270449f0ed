// Signal: keep-awake holds (holds.ts), one active session each while they last, plus one while
// holdsDir holds more than a scan reads (an unread file could be a valid hold: fail toward "in
// use"). The daemon also removes the expired hold files it may remove and logs each expired hold
// once, with bounded memory and bounded lines per sample; `status` only reads.
import { Hold, HoldScan, scanHolds, tryRemoveHold } from "./holds";
import { HoldScanner, MAX_SCAN_ENTRIES } from "./holds-scan";
import { Signal, SignalInput } from "./signal";
import { log } from "../system/log";
import { printable } from "../system/text";

/** Expired holds remembered as handled (tried, logged); past this, new ones are only counted. */
const MAX_REMEMBERED_EXPIRED = 10000;
/** hold_expired lines per sample; the rest go into one hold_expired_more line. */
export const MAX_EXPIRED_LOGGED = 20;
/** The id shown for the overflow's stand-in hold (never a hold file's: those are 8 hex digits). */
export const OVERFLOW_ID = "overflow";

/** The daemon rescans an unchanged holdsDir at least this often (holds-scan.ts, HoldScanner). */
const HOLDS_RESCAN_MS = 60 * 1000;
/** The daemon's scanners by holdsDir: a signal is made per sample, the scan's cache outlives it. */
const scanners = new Map<string, HoldScanner>();

function daemonScan(holdsDir: string, now: number): { scan: HoldScan; fresh: boolean } {
    let s = scanners.get(holdsDir);
    if (!s) {
        if (scanners.size >= 16) scanners.clear(); // one holdsDir on a box; tests use many
        s = new HoldScanner(holdsDir, HOLDS_RESCAN_MS);
        scanners.set(holdsDir, s);
    }
    return s.scan(now);
}

/** Expired holds already handled (a daemon that is not root cannot remove others' files). */
const handled = new Set<string>();
let lastUnlogged = 0;

export class Holds implements Signal<Hold[]> {
    readonly name = "holds";

    constructor(
        private readonly holdsDir: string,
        private readonly cleanup: boolean,
    ) {}

    sample({ now }: SignalInput): { active: number; detail: Hold[] } {
        // The daemon (cleanup) samples every few seconds: it reuses its last scan while nothing changed.
        // `status` runs once: a full scan.
        const { scan: h, fresh } = this.cleanup ? daemonScan(this.holdsDir, now) : { scan: scanHolds(this.holdsDir, now), fresh: true };
        if (fresh && this.cleanup) this.handleExpired(h);
        const detail = h.overflow ? [...h.active, overflowHold(this.holdsDir, now)] : h.active;
        return { active: detail.length, detail };
    }

    /**
     * Removes (when allowed) and logs each expired hold once. Those that cannot be removed are
     * remembered (up to MAX_REMEMBERED_EXPIRED) so they are neither retried nor logged again; what
     * gets no line of its own is one hold_expired_more line, written when its count changes.
     */
    private handleExpired(scan: HoldScan): void {
        let lines = 0;
        let unlogged = scan.expiredCount - scan.expired.length;
        for (const x of scan.expired) {
            if (handled.has(x.id)) continue;
            const removed = tryRemoveHold(this.holdsDir, x.id);
            if (!removed) {
                if (handled.size >= MAX_REMEMBERED_EXPIRED) {
                    unlogged++; // would be logged again every sample
                    continue;
                }
                handled.add(x.id);
            }
            if (lines < MAX_EXPIRED_LOGGED) {
                lines++;
                log("info", "hold_expired", { id: x.id, user: x.user, reason: x.reason ?? undefined, removed });
            } else unlogged++;
        }
        if (unlogged > 0 && unlogged !== lastUnlogged) log("info", "hold_expired_more", { count: unlogged });
        lastUnlogged = unlogged;
    }
}

/** Stands for the unread part of an overflowing holdsDir in `status` (counts as one hold). */
function overflowHold(holdsDir: string, now: number): Hold {
    return {
        id: OVERFLOW_ID,
        user: "(unread)",
        uid: -1,
        reason: `more than ${MAX_SCAN_ENTRIES} entries in ${printable(holdsDir)}: the rest are not read, so they count as one hold until removed (as root: idle-stop release --expired) or until the directory has not changed for 7 days`,
        createdAt: new Date(now).toISOString(),
        expiresAt: null,
        owner: null,
        limitAt: new Date(now).toISOString(),
    };
}
