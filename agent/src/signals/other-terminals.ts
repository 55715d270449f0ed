// Signal: terminals that no SSH session owns (SSM Session Manager shells, mosh, tmux panes, VS
// Code's integrated terminals, `script`) and consoles. Input on any of them within
// sessionIdleSeconds counts as ONE active session.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Signal, SignalInput } from "./signal";
import { terminalInputAt } from "./tty";

export interface TtyInput {
    /** `pts/7`, `tty1`, `ttyS0`, ... */
    tty: string;
    inputAt: number;
}

// Consoles a person can type on: virtual consoles (not tty0, the "current console" alias), serial
// and hypervisor consoles (EC2's serial console is ttyS0).
const CONSOLE = /^(?:tty[1-9]\d*|ttyS\d+|hvc\d+|ttyAMA\d+)$/;
const CONSOLE_RESCAN_MS = 5 * 60 * 1000;

/** What the status shows of the other terminals. */
export interface OtherTerminalsUse {
    count: number;
    inUse: number;
    lastInputAt: string | null;
    ttys: string[];
}

/** The console list changes rarely, so /dev itself is re-read every few minutes; /dev/pts every sample. */
export class OtherTerminals implements Signal<OtherTerminalsUse> {
    readonly name = "other-terminals";
    private consoles: string[] = [];
    private consolesAt = -Infinity;

    constructor(
        private readonly devRoot: string,
        private readonly sessionIdleSeconds: number,
    ) {}

    sample({ now, sessions }: SignalInput): { active: number; detail: OtherTerminalsUse } {
        const limitMs = this.sessionIdleSeconds * 1000;
        const others = this.list(new Set(sessions.flatMap((x) => x.ttys)), now);
        const inUse = limitMs > 0 ? others.filter((t) => now - t.inputAt < limitMs) : [];
        const last = others.reduce<number | null>((m, t) => (m === null || t.inputAt > m ? t.inputAt : m), null);
        return {
            active: inUse.length > 0 ? 1 : 0,
            detail: {
                count: others.length,
                inUse: inUse.length,
                lastInputAt: last === null ? null : new Date(last).toISOString(),
                ttys: inUse.map((t) => t.tty),
            },
        };
    }

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
    list(owned: ReadonlySet<string>, now: number): TtyInput[] {
        let pts: string[] = [];
        try {
            pts = readdirSync(join(this.devRoot, "pts"))
                .filter((n) => /^\d+$/.test(n))
                .map((n) => `pts/${n}`);
        } catch {
            /* no devpts */
        }
        const out: TtyInput[] = [];
        for (const tty of [...pts, ...this.consoleNames(now)]) {
            if (owned.has(tty)) continue;
            const at = terminalInputAt(this.devRoot, tty);
            if (at !== null) out.push({ tty, inputAt: at });
        }
        return out;
    }
}
