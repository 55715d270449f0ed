// The tags the program writes on each box's idle alarm and the laptop command reads to find the box from AWS alone (docs/reference/laptop.md#finding-the-boxes).
import { programAgentDefaults, programAgentRanges } from "./agent-config";
import { DEFAULT_TIME_ZONE, formatSchedule, isTimeZone, parseSchedule, parseScheduleTag, scheduleTagValue, TIME_ZONE_ALLOWED } from "./schedule";
import { HOST_ALIAS_ALLOWED, HOST_ALIAS_PATTERN, SSH_HOST_ALLOWED, SSH_HOST_PATTERN, SSH_USER_ALLOWED, SSH_USER_PATTERN } from "./ssh-names";

/** Tag keys, one place for both sides. Every idle alarm the program creates carries all but sshHost. */
export const BOX_TAG = {
    /** The watched instance's name: its Host alias (`ssh <name>`). Its presence marks an idle-stop idle alarm. */
    box: "idle-stop:box",
    /** The Pulumi project and stack that watch it, as `project/stack`. */
    stack: "idle-stop:stack",
    sshUser: "idle-stop:ssh-user",
    sshPort: "idle-stop:ssh-port",
    /** Only when the address is fixed by config (`sshHost`); otherwise the laptop asks EC2. */
    sshHost: "idle-stop:ssh-host",
    /** "true" for an adopted instance, "false" for one the stack created. */
    adopted: "idle-stop:adopted",
    /** Only with a fixed stop time: the schedule, day lists joined by '+' (common/schedule.ts, scheduleTagValue). */
    stopAt: "idle-stop:stop-at",
    /** Only with a fixed start time, as stopAt. */
    startAt: "idle-stop:start-at",
    /** With either: the schedules' IANA time zone. */
    timezone: "idle-stop:timezone",
    /**
     * Seconds between the agent's samples, what each sample stands for in `savings` and status's
     * saving line. Only when not the default (10): an alarm without it (also one of a deploy before
     * this tag) is read as 10.
     */
    sampleSeconds: "idle-stop:sample-seconds",
} as const;

/**
 * A Pulumi project and stack name joined by '/': letters, digits, '_', '.' and '-' on each side
 * (Pulumi's own rule for both), at most 100 characters each. Within CloudWatch's tag value set.
 */
const STACK_TAG_PATTERN = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const STACK_TAG_ALLOWED = "project/stack: letters, digits, '_', '.' and '-' on each side";

/** What the laptop reads from one idle alarm's tags, each value checked. */
export interface BoxTags {
    readonly box: string;
    readonly stack: string;
    readonly sshUser: string;
    readonly sshPort: number;
    /** Undefined when the address is not fixed. */
    readonly sshHost?: string;
    readonly adopted: boolean;
    /** The fixed stop/start times in the people's form ("Mon,Wed 20:00"), and their zone; undefined when none. */
    readonly stopAt?: string;
    readonly startAt?: string;
    readonly timezone?: string;
    /** The agent's sampleSeconds; undefined (no tag) means the default, 10. */
    readonly sampleSeconds?: number;
}

/** The tags for one box, as the program writes them. */
export function boxTags(t: BoxTags): Record<string, string> {
    return {
        [BOX_TAG.box]: t.box,
        [BOX_TAG.stack]: t.stack,
        [BOX_TAG.sshUser]: t.sshUser,
        [BOX_TAG.sshPort]: String(t.sshPort),
        ...(t.sshHost !== undefined ? { [BOX_TAG.sshHost]: t.sshHost } : {}),
        [BOX_TAG.adopted]: String(t.adopted),
        ...scheduleTags(t),
        ...(t.sampleSeconds !== undefined && t.sampleSeconds !== programAgentDefaults.sampleSeconds
            ? { [BOX_TAG.sampleSeconds]: String(t.sampleSeconds) }
            : {}),
    };
}

/** The sample-seconds tag read back: its number, undefined without the tag, a string when it is bad. */
function parseSampleSecondsTag(tags: ReadonlyMap<string, string>): number | string | undefined {
    const raw = tags.get(BOX_TAG.sampleSeconds);
    if (raw === undefined) return undefined;
    const { min, max } = programAgentRanges.sampleSeconds;
    if (!/^\d{1,5}$/.test(raw) || Number(raw) < min || Number(raw) > max)
        return `${BOX_TAG.sampleSeconds} is not a whole number from ${min} to ${max}`;
    return Number(raw);
}

/** The schedule tags: the values in the tag-safe form (no ','), the zone only beside a schedule. */
function scheduleTags(t: BoxTags): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const key of ["stopAt", "startAt"] as const) {
        const s = t[key] === undefined ? undefined : parseSchedule(t[key]);
        if (s !== undefined) tags[BOX_TAG[key]] = scheduleTagValue(s);
    }
    if (Object.keys(tags).length > 0) tags[BOX_TAG.timezone] = t.timezone ?? DEFAULT_TIME_ZONE;
    return tags;
}

/** The schedule tags read back, each checked; a string names the first bad one. */
function parseScheduleTags(tags: ReadonlyMap<string, string>): Pick<BoxTags, "stopAt" | "startAt" | "timezone"> | string {
    const out: { stopAt?: string; startAt?: string; timezone?: string } = {};
    for (const key of ["stopAt", "startAt"] as const) {
        const raw = tags.get(BOX_TAG[key]);
        if (raw === undefined) continue;
        const s = parseScheduleTag(raw);
        if (s === undefined) return `${BOX_TAG[key]} is not a schedule such as "Mon-Fri 20:00" or "Mon+Wed+Fri 08:30"`;
        out[key] = formatSchedule(s);
    }
    if (out.stopAt === undefined && out.startAt === undefined) return {};
    const zone = tags.get(BOX_TAG.timezone) ?? DEFAULT_TIME_ZONE;
    if (!isTimeZone(zone)) return `${BOX_TAG.timezone} is not ${TIME_ZONE_ALLOWED}`;
    return { ...out, timezone: zone };
}

/**
 * Reads the tags of one alarm: undefined when it is no idle-stop idle alarm (no box tag), a
 * string naming the first bad value (whoever may tag alarms in the account chooses them), or the
 * checked tags.
 */
export function parseBoxTags(tags: ReadonlyMap<string, string>): BoxTags | string | undefined {
    const box = tags.get(BOX_TAG.box);
    if (box === undefined) return undefined;
    const get = (key: string): string => tags.get(key) ?? "";
    if (!HOST_ALIAS_PATTERN.test(box)) return `${BOX_TAG.box} is not ${HOST_ALIAS_ALLOWED}`;
    if (!STACK_TAG_PATTERN.test(get(BOX_TAG.stack))) return `${BOX_TAG.stack} is not ${STACK_TAG_ALLOWED}`;
    if (!SSH_USER_PATTERN.test(get(BOX_TAG.sshUser))) return `${BOX_TAG.sshUser} is not ${SSH_USER_ALLOWED}`;
    const port = get(BOX_TAG.sshPort);
    const { min, max } = programAgentRanges.sshPort;
    if (!/^\d{1,5}$/.test(port) || Number(port) < min || Number(port) > max) return `${BOX_TAG.sshPort} is not a whole number from ${min} to ${max}`;
    const host = tags.get(BOX_TAG.sshHost);
    if (host !== undefined && !SSH_HOST_PATTERN.test(host)) return `${BOX_TAG.sshHost} is not ${SSH_HOST_ALLOWED}`;
    const adopted = get(BOX_TAG.adopted);
    if (adopted !== "true" && adopted !== "false") return `${BOX_TAG.adopted} is not true or false`;
    const schedules = parseScheduleTags(tags);
    if (typeof schedules === "string") return schedules;
    const sampleSeconds = parseSampleSecondsTag(tags);
    if (typeof sampleSeconds === "string") return sampleSeconds;
    return {
        box,
        stack: get(BOX_TAG.stack),
        sshUser: get(BOX_TAG.sshUser),
        sshPort: Number(port),
        ...(host !== undefined ? { sshHost: host } : {}),
        adopted: adopted === "true",
        ...schedules,
        ...(sampleSeconds !== undefined ? { sampleSeconds } : {}),
    };
}
