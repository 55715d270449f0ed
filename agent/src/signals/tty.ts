// Terminal input, from terminals' access times. The kernel moves a terminal's atime when a process
// reads input from it (what `w`'s IDLE column shows; about 8 s granularity) and its mtime when
// something writes to it: output (tmux status lines, top, watch, a wall message) never moves the
// atime. Any user may stat every terminal device; no child process, no privileges.
import { statSync } from "node:fs";
import { join } from "node:path";

/** Last input on a terminal (`pts/3`, `tty1`) in ms since the epoch; null when it is gone. */
export function terminalInputAt(devRoot: string, tty: string): number | null {
    try {
        return statSync(join(devRoot, tty)).atimeMs;
    } catch {
        return null;
    }
}

/** Latest input over several terminals (a multiplexed connection: `pts/1,pts/4`). */
export function latestInputAt(devRoot: string, ttys: readonly string[]): number | null {
    let latest: number | null = null;
    for (const t of ttys) {
        const at = terminalInputAt(devRoot, t);
        if (at !== null && (latest === null || at > latest)) latest = at;
    }
    return latest;
}
