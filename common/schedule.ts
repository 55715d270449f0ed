// Stop and start schedules (`stopAt`, `startAt`, `timezone`): the grammar, the EventBridge Scheduler cron expression, and the next occurrence, shared by the program, the agent and the laptop (docs/reference/configuration.md#schedules).

/** Day names as written, Sunday first (JavaScript's getUTCDay order and cron's SUN-SAT order). */
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** One schedule: the days it applies to (0 = Sunday .. 6 = Saturday, sorted, no repeats) and the local time. */
export interface Schedule {
    readonly days: readonly number[];
    readonly hour: number;
    readonly minute: number;
}

export const SCHEDULE_ALLOWED =
    'a 24-hour time HH:MM, optionally after days: "20:00" (every day), "Mon-Fri 20:00", "Mon,Wed,Fri 08:30" (days: Mon Tue Wed Thu Fri Sat Sun; a range may wrap, as in Fri-Mon)';

export const TIME_ZONE_ALLOWED = 'an IANA time zone name, spelled as in the tz database, such as "UTC", "Europe/Berlin" or "America/New_York"';

/** The default `timezone`. */
export const DEFAULT_TIME_ZONE = "UTC";

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function dayIndex(name: string): number {
    return DAY_NAMES.findIndex((d) => d.toLowerCase() === name.toLowerCase());
}

/** "Mon-Fri,Sun" into day indexes; undefined when a name or range is not one. */
function parseDays(text: string): number[] | undefined {
    const days = new Set<number>();
    for (const item of text.split(",")) {
        const ends = item.split("-");
        if (ends.length > 2) return undefined;
        const [from, to] = [dayIndex(ends[0]), dayIndex(ends[ends.length - 1])];
        if (from < 0 || to < 0) return undefined;
        // A range runs forward through the week and may wrap: Fri-Mon is Fri, Sat, Sun, Mon.
        for (let d = from; ; d = (d + 1) % 7) {
            days.add(d);
            if (d === to) break;
        }
    }
    return [...days].sort((a, b) => a - b);
}

/** A schedule as written by people, or undefined when it does not follow the grammar (SCHEDULE_ALLOWED). */
export function parseSchedule(text: string): Schedule | undefined {
    // Plain spaces only: a line break or other whitespace would reach status lines and tags as is.
    if (!/^[ A-Za-z0-9,:-]{1,64}$/.test(text)) return undefined;
    const parts = text.trim().split(/ +/);
    if (parts.length < 1 || parts.length > 2) return undefined;
    const time = TIME.exec(parts[parts.length - 1]);
    if (time === null) return undefined;
    const days = parts.length === 2 ? parseDays(parts[0]) : [0, 1, 2, 3, 4, 5, 6];
    if (days === undefined) return undefined;
    return { days, hour: Number(time[1]), minute: Number(time[2]) };
}

/** Consecutive day indexes as ranges: [1,2,3,5] -> [[1,3],[5,5]]. */
function dayRanges(days: readonly number[]): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const d of days) {
        const last = ranges[ranges.length - 1];
        if (last?.[1] === d - 1) last[1] = d;
        else ranges.push([d, d]);
    }
    return ranges;
}

/** The schedule in the canonical form the program shows and tags: "Mon-Fri 08:30", "Sun,Tue 20:00", "20:00". */
export function formatSchedule(s: Schedule, daySeparator = ","): string {
    const time = `${String(s.hour).padStart(2, "0")}:${String(s.minute).padStart(2, "0")}`;
    if (s.days.length === 7) return time;
    const days = dayRanges(s.days).map(([a, b]) => (a === b ? DAY_NAMES[a] : `${DAY_NAMES[a]}-${DAY_NAMES[b]}`));
    return `${days.join(daySeparator)} ${time}`;
}

/**
 * The EventBridge Scheduler cron expression: `cron(minutes hours day-of-month month day-of-week
 * year)`, with `?` for the day of the month when days of the week are given (one of the two must
 * be `?`). Days as SUN..SAT names, ranges where consecutive.
 */
export function scheduleCron(s: Schedule): string {
    if (s.days.length === 7) return `cron(${s.minute} ${s.hour} * * ? *)`;
    const days = dayRanges(s.days)
        .map(([a, b]) => (a === b ? DAY_NAMES[a] : `${DAY_NAMES[a]}-${DAY_NAMES[b]}`).toUpperCase())
        .join(",");
    return `cron(${s.minute} ${s.hour} ? * ${days} *)`;
}

/**
 * The schedule as a CloudWatch tag value, whose characters exclude ',' (letters, digits, spaces
 * and _ . : / = + - @ only): day lists are joined with '+' instead ("Mon+Wed+Fri 08:30").
 */
export function scheduleTagValue(s: Schedule): string {
    return formatSchedule(s, "+");
}

/** Reads a tag value written by scheduleTagValue. */
export function parseScheduleTag(value: string): Schedule | undefined {
    return value.includes(",") ? undefined : parseSchedule(value.replace(/\+/g, ","));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
    let f = formatters.get(timeZone);
    if (f === undefined) {
        f = new Intl.DateTimeFormat("en-US", {
            timeZone,
            hourCycle: "h23",
            year: "numeric",
            month: "numeric",
            day: "numeric",
            hour: "numeric",
            minute: "numeric",
            second: "numeric",
        });
        formatters.set(timeZone, f);
    }
    return f;
}

/** Whether Node's time zone data knows the IANA name (the names EventBridge Scheduler accepts). */
export function isTimeZone(name: string): boolean {
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
    try {
        // Node matches names in any case, EventBridge Scheduler and the box's tools do not:
        // "europe/berlin" is refused (aliases such as "US/Pacific" stay valid names).
        const resolved = formatterFor(name).resolvedOptions().timeZone;
        return resolved === name || resolved.toLowerCase() !== name.toLowerCase();
    } catch {
        return false;
    }
}

/** The zone's wall clock at an instant, as if it were UTC (ms), to the second. */
function wallClock(timeZone: string, at: number): number {
    const parts = Object.fromEntries(
        formatterFor(timeZone)
            .formatToParts(new Date(at))
            .map((p) => [p.type, Number(p.value)]),
    );
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/**
 * The instants at which the zone's clock shows this wall time (as UTC ms): none in a spring-forward
 * gap, two in a fall-back overlap, else one. Offsets change at most once around one day.
 */
function instantsOf(timeZone: string, wall: number): number[] {
    const offsets = new Set([wall - dayMs, wall + dayMs].map((t) => wallClock(timeZone, t) - Math.floor(t / 1000) * 1000));
    return [...offsets]
        .map((o) => wall - o)
        .filter((t) => wallClock(timeZone, t) === wall)
        .sort((a, b) => a - b);
}

/**
 * The first time the schedule fires strictly after `after` (ms), in the zone. As EventBridge
 * Scheduler does across daylight saving changes: a time that does not exist that day (the clock
 * jumps over it) is skipped, a time that happens twice (the clock goes back) fires once, the first.
 */
export function nextOccurrence(s: Schedule, timeZone: string, after: number): number {
    const today = Math.floor(wallClock(timeZone, after) / dayMs) * dayMs;
    // Yesterday's date may still be ahead in an instant's terms near an offset change; a week and a day cover any day list.
    for (let date = today - dayMs; date <= today + 8 * dayMs; date += dayMs) {
        if (!s.days.includes(new Date(date).getUTCDay())) continue;
        const first = instantsOf(timeZone, date + s.hour * hourMs + s.minute * 60_000)[0];
        if (first !== undefined && first > after) return first;
    }
    // Only a schedule whose one day falls in a gap every week could get here; none does.
    throw new Error(`no occurrence of ${formatSchedule(s)} in ${timeZone} within 9 days`);
}
