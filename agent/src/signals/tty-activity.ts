// Terminal input, from terminals' access times. The kernel moves a terminal's atime when a process
// reads input from it (what `w`'s IDLE column shows; about 8 s granularity) and its mtime when
// something writes to it: output (tmux status lines, top, watch, a wall message) never moves the
// atime. Any user may stat every terminal device; no child process, no privileges.
import { readdirSync, statSync } from "node:fs";
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

export interface TerminalInput {
    /** `pts/7`, `tty1`, `ttyS0`, ... */
    tty: string;
    inputAt: number;
}

// Consoles a person can type on: virtual consoles (not tty0, the "current console" alias), serial
// and hypervisor consoles (EC2's serial console is ttyS0).
const CONSOLE = /^(?:tty[1-9]\d*|ttyS\d+|hvc\d+|ttyAMA\d+)$/;
const CONSOLE_RESCAN_MS = 5 * 60 * 1000;

/**
 * Terminals that no SSH session owns: other pseudo-terminals (SSM Session Manager shells, mosh,
 * tmux panes, VS Code's integrated terminals, `script`) and consoles. The console list changes
 * rarely, so /dev itself is re-read every few minutes; /dev/pts every call.
 */
export class OtherTerminals {
    private consoles: string[] = [];
    private consolesAt = -Infinity;

    constructor(private readonly devRoot: string) {}

    private consoleNames(now: number): string[] {
        if (now - this.consolesAt >= CONSOLE_RESCAN_MS || now < this.consolesAt) {
            try {
                this.consoles = readdirSync(this.devRoot).filter((n) => CONSOLE.test(n));
            } catch {
                this.consoles = [];
            }
            this.consolesAt = now;
        }
        return this.consoles;
    }

    /** Input times of every terminal not in `owned` (the SSH sessions' own terminals). */
    list(owned: ReadonlySet<string>, now: number): TerminalInput[] {
        let pts: string[] = [];
        try {
            pts = readdirSync(join(this.devRoot, "pts")).filter((n) => /^\d+$/.test(n)).map((n) => `pts/${n}`);
        } catch {
            /* no devpts */
        }
        const out: TerminalInput[] = [];
        for (const tty of [...pts, ...this.consoleNames(now)]) {
            if (owned.has(tty)) continue;
            const at = terminalInputAt(this.devRoot, tty);
            if (at !== null) out.push({ tty, inputAt: at });
        }
        return out;
    }
}
