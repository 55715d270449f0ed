// Signal: terminals that no SSH session owns (SSM Session Manager shells, mosh, tmux panes, VS
// Code's integrated terminals, `script`) and consoles. Input on any of them within
// sessionIdleSeconds counts as ONE active session. An access time from the future counts from when
// it was first seen (tty.ts); the status names each terminal's owner (the device's uid), so a
// terminal that keeps the box up always says whose it is.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Signal, SignalInput } from "./signal";
import { FutureInput, terminalInput } from "./tty";
import { printable } from "../system/text";
import { userName } from "../system/users";

export interface TtyInput {
    /** `pts/7`, `tty1`, `ttyS0`, ... */
    tty: string;
    inputAt: number;
    /** The terminal's owner (the device's uid). */
    uid: number;
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
    /** The terminals in use. */
    ttys: string[];
    /** Their owners' user names (numeric uid when it has none), one per entry of ttys. */
    owners: string[];
}

/** The console list changes rarely, so /dev itself is re-read every few minutes; /dev/pts every sample. */
export class OtherTerminals implements Signal<OtherTerminalsUse> {
    readonly name = "other-terminals";
    private consoles: string[] = [];
    private consolesAt = -Infinity;
    /** Future access times first seen, across samples (tty.ts). */
    private readonly future = new FutureInput();

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
                owners: inUse.map((t) => printable(userName(t.uid) ?? String(t.uid))),
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
            const t = terminalInput(this.devRoot, tty, this.future, now);
            if (t !== null) out.push({ tty, ...t });
        }
        this.future.endSample();
        return out;
    }
}
