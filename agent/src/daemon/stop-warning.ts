// The warning on the box: warnMinutes before the expected stop, one line on every logged-in
// terminal, once per idle stretch. The agent runs unprivileged and terminals are writable only by
// their owner and group tty, so it asks util-linux `wall` (setgid tty, reaches the terminals
// recorded in utmp, honours `mesg n`). A child process only when a warning is due. The line is
// output: it moves terminals' modification times, never their access (input) times, so it does
// not count as use. A second line names what would have kept the box up (the signals that are on),
// so nobody wonders why a long job did not.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Config } from "../config";
import { formatDuration } from "../system/duration";
import { expectedStopAt } from "./stop-time";

/** The signals that are on, as people name them ("typing, SSH traffic, a busy process (25% of a core), ..."). */
export function signalsOn(
    c: Pick<Config, "sessionIdleSeconds" | "busyProcessPercent" | "busyGpuPercent" | "transferBytesPerMinute" | "busyCpuPercent">,
): string[] {
    const on: string[] = [];
    if (c.sessionIdleSeconds > 0) on.push("typing", "SSH traffic");
    else on.push("an SSH session");
    if (c.busyProcessPercent > 0) on.push(`a busy process (${c.busyProcessPercent}% of a core)`);
    if (c.busyGpuPercent > 0) on.push(`GPU >= ${c.busyGpuPercent}%`);
    if (c.transferBytesPerMinute > 0) on.push(`transfers >= ${mib(c.transferBytesPerMinute)}/min`);
    if (c.busyCpuPercent > 0) on.push(`CPU >= ${c.busyCpuPercent}%`);
    on.push("keep-awake holds");
    return on;
}

function mib(bytes: number): string {
    return bytes >= 1048576 && bytes % 1048576 === 0 ? `${bytes / 1048576} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}

/** The warning: the stop time and how to keep the box, then (when given) what would have kept it up. */
export function warningText(stopAt: number, now: number, on: readonly string[] = []): string {
    const left = formatDuration(Math.max(1, Math.round((stopAt - now) / 60000)) * 60000);
    const hhmm = new Date(stopAt).toISOString().slice(11, 16);
    // Lines that wall does not fold (it wraps at 79 columns).
    const first = `idle-stop: stops at ${hhmm} UTC (in ${left}). Keep it: type, or idle-stop hold 1h`;
    if (on.length === 0) return first;
    return `${first}\n${foldList("Would keep it up: ", on, 79).join("\n")}`;
}

/** "head item, item, ..." folded at width columns, continuation lines indented by two spaces. */
function foldList(head: string, items: readonly string[], width: number): string[] {
    const lines: string[] = [];
    let cur = head;
    items.forEach((item, i) => {
        const piece = `${item}${i < items.length - 1 ? "," : "."}`;
        const sep = cur === head || cur === "  " ? "" : " ";
        if (cur.length + sep.length + piece.length > width && cur !== head && cur !== "  ") {
            lines.push(cur);
            cur = "  ";
        }
        cur += (cur === head || cur === "  " ? "" : " ") + piece;
    });
    lines.push(cur);
    return lines;
}

export type WallRunner = (message: string) => Promise<void>;

const execFileAsync = promisify(execFile);

export const runWall: WallRunner = async (message) => {
    await execFileAsync("wall", [message], { timeout: 15000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } });
};

export class StopWarning {
    /** The idle stretch (its start) already warned about. */
    private warnedFor: number | null = null;

    constructor(
        private readonly warnMinutes: number,
        private readonly idleMinutes: number | undefined,
        /** The signals that are on (signalsOn), named in the warning. */
        private readonly on: readonly string[] = [],
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
        this.wall(warningText(stopAt, now, this.on)).then(
            () => onResult({ stopAt }),
            (e: unknown) => onResult({ stopAt, error: e instanceof Error ? e.message : String(e) }),
        );
        return stopAt;
    }
}
