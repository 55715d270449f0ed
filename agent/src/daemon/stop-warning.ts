// The warning on the box: warnMinutes before the expected stop, one line on every logged-in
// terminal, once per idle stretch. The agent runs unprivileged and terminals are writable only by
// their owner and group tty, so it asks util-linux `wall` (setgid tty, reaches the terminals
// recorded in utmp, honours `mesg n`). A child process only when a warning is due. The line is
// output: it moves terminals' modification times, never their access (input) times, so it does
// not count as use.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { formatDuration } from "../system/duration";
import { expectedStopAt } from "./stop-time";

export function warningText(stopAt: number, now: number): string {
    const left = formatDuration(Math.max(1, Math.round((stopAt - now) / 60000)) * 60000);
    const hhmm = new Date(stopAt).toISOString().slice(11, 16);
    // One line that wall does not fold (it wraps at 79 columns).
    return `idle-stop: stops at ${hhmm} UTC (in ${left}). Keep it: type, or idle-stop hold 1h`;
}

export type WallRunner = (message: string) => Promise<void>;

const execFileAsync = promisify(execFile);

const runWall: WallRunner = async (message) => {
    await execFileAsync("wall", [message], { timeout: 15000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } });
};

export class StopWarning {
    /** The idle stretch (its start) already warned about. */
    private warnedFor: number | null = null;

    constructor(
        private readonly warnMinutes: number,
        private readonly idleMinutes: number | undefined,
        private readonly wall: WallRunner = runWall,
    ) {}

    /**
     * Called after every sample with the start of the current idle stretch (null while something
     * is in use). Returns the stop time it warned about, or null.
     */
    check(idleSince: number | null, now: number, onResult: (r: { stopAt: number; error?: string }) => void): number | null {
        if (idleSince === null) {
            this.warnedFor = null;
            return null;
        }
        if (this.warnMinutes <= 0 || this.idleMinutes === undefined || this.warnedFor === idleSince) return null;
        const stopAt = expectedStopAt(idleSince, this.idleMinutes);
        if (now < stopAt - this.warnMinutes * 60000 || now >= stopAt) return null;
        this.warnedFor = idleSince;
        this.wall(warningText(stopAt, now)).then(
            () => onResult({ stopAt }),
            (e: unknown) => onResult({ stopAt, error: e instanceof Error ? e.message : String(e) }),
        );
        return stopAt;
    }
}
