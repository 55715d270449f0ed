// The box's fixed stop and start times (stopAt, startAt, timezone in agent.json; docs/reference/agent.md): when they come next, for
// `status`, and the terminal warning warnMinutes before a scheduled stop, like the idle stop's (stop-warning.ts). A scheduled stop is
// EventBridge Scheduler calling EC2: sessions and holds do not delay it, so the warning says so.
import type { Config } from "../config";
import { formatDuration } from "../system/duration";
import { nextOccurrence, parseSchedule } from "../../../common/schedule";
import { runWall, WallRunner } from "./stop-warning";

/** The next scheduled stop and start after `now` (ms), null where none is configured. */
export function nextScheduled(c: Pick<Config, "stopAt" | "startAt" | "timezone">, now: number): { stop: number | null; start: number | null } {
    const next = (text: string | undefined): number | null => {
        const s = text === undefined ? undefined : parseSchedule(text);
        return s === undefined ? null : nextOccurrence(s, c.timezone, now);
    };
    return { stop: next(c.stopAt), start: next(c.startAt) };
}

/**
 * The scheduled stop to warn about now, or null: the next one when it is at most warnMinutes away
 * and was not warned about yet (`warnedFor`, the stop already warned about).
 */
export function scheduledWarningDue(c: Pick<Config, "stopAt" | "timezone" | "warnMinutes">, now: number, warnedFor: number | null): number | null {
    if (c.warnMinutes <= 0) return null;
    const { stop } = nextScheduled({ stopAt: c.stopAt, startAt: undefined, timezone: c.timezone }, now);
    if (stop === null || stop - now > c.warnMinutes * 60000 || stop === warnedFor) return null;
    return stop;
}

/** The wall clock time in the zone, "20:00". */
function localTime(at: number, timeZone: string): string {
    return new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" }).format(new Date(at));
}

/** The warning: when, in the schedule's zone, and that nothing on the box delays it (lines under wall's 79 columns). */
export function scheduledWarningText(stopAt: number, now: number, timeZone: string): string {
    const left = formatDuration(Math.max(1, Math.round((stopAt - now) / 60000)) * 60000);
    return [
        `idle-stop: scheduled stop at ${localTime(stopAt, timeZone)} ${timeZone} (in ${left}).`,
        "Sessions and holds do not delay it: save your work.",
    ].join("\n");
}

export class ScheduledStopWarning {
    /** The scheduled stop already warned about. */
    private warnedFor: number | null = null;

    constructor(
        private readonly c: Pick<Config, "stopAt" | "timezone" | "warnMinutes">,
        private readonly wall: WallRunner = runWall,
    ) {}

    /** Called after every sample; returns the stop time it warned about, or null. */
    check(now: number, onResult: (r: { stopAt: number; error?: string }) => void): number | null {
        const stopAt = scheduledWarningDue(this.c, now, this.warnedFor);
        if (stopAt === null) return null;
        this.warnedFor = stopAt;
        this.wall(scheduledWarningText(stopAt, now, this.c.timezone)).then(
            () => onResult({ stopAt }),
            (e: unknown) => onResult({ stopAt, error: e instanceof Error ? e.message : String(e) }),
        );
        return stopAt;
    }
}
