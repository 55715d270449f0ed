// Terminal input, from terminals' access times. The kernel moves a terminal's atime when a process
// reads input from it (what `w`'s IDLE column shows; about 8 s granularity) and its mtime when
// something writes to it: output (tmux status lines, top, watch, a wall message) never moves the
// atime. Any user may stat every terminal device; no child process, no privileges.
//
// An atime ahead of the clock (its owner's `touch -a -d 2099-12-31`, or the clock stepped back)
// would read as "input a moment ago" forever. FutureInput remembers such a value and the moment it
// was first seen: it counts as input at that moment and then ages like any other; a new value is
// judged the same way (docs/reference/metric.md, "A timestamp from the future").
import { Stats, statSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../system/clock";

/** A terminal's last input and owner. */
export interface TtyStat {
    /** ms since the epoch, never after the sample time. */
    inputAt: number;
    uid: number;
}

/** Per terminal: the future atime last seen and when it was first seen. Kept across samples by its signal. */
export class FutureInput {
    private readonly seen = new Map<string, { atimeMs: number; firstSeenAt: number }>();
    private touched = new Set<string>();

    /** The input time to use for `tty` whose atime is atimeMs, at sample time now. */
    inputAt(tty: string, atimeMs: number, now: number): number {
        const prev = this.seen.get(tty);
        if (prev?.atimeMs === atimeMs) {
            this.touched.add(tty);
            return prev.firstSeenAt;
        }
        if (atimeMs <= now) {
            this.seen.delete(tty);
            return atimeMs;
        }
        this.seen.set(tty, { atimeMs, firstSeenAt: now });
        this.touched.add(tty);
        return now;
    }

    /** Forgets terminals not looked at since the last call (gone, or now another signal's): bounded memory. */
    endSample(): void {
        for (const tty of this.seen.keys()) if (!this.touched.has(tty)) this.seen.delete(tty);
        this.touched = new Set();
    }
}

function statOrNull(devRoot: string, tty: string): Stats | null {
    try {
        return statSync(join(devRoot, tty));
    } catch {
        return null;
    }
}

function pastAtime(devRoot: string, tty: string, now: number): number | null {
    const at = statOrNull(devRoot, tty)?.atimeMs ?? null;
    return at !== null && at <= now ? at : null;
}

/** Last input on a terminal (`pts/3`, `tty1`) and its owner; null when it is gone. */
export function terminalInput(devRoot: string, tty: string, future: FutureInput, now: number): TtyStat | null {
    const st = statOrNull(devRoot, tty);
    return st === null ? null : { inputAt: future.inputAt(tty, st.atimeMs, now), uid: st.uid };
}

/**
 * Latest input over several terminals (a multiplexed connection: `pts/1,pts/4`). Without a
 * FutureInput (a caller that keeps none), an atime ahead of the clock is no input at all.
 */
export function latestInputAt(devRoot: string, ttys: readonly string[], future?: FutureInput, now = systemClock.wall()): number | null {
    let latest: number | null = null;
    for (const t of ttys) {
        const at = future ? (terminalInput(devRoot, t, future, now)?.inputAt ?? null) : pastAtime(devRoot, t, now);
        if (at !== null && (latest === null || at > latest)) latest = at;
    }
    return latest;
}
