// Reads the schedule keys (`stopAt`, `startAt`, `timezone`; docs/reference/configuration.md#schedules) of the stack config or a fleet entry, refusing bad values by their key.
import { ScheduleArgs, resolveSchedules } from "../components/box-schedules";

/** Where the keys come from and how to name them (the stack config reader's FieldReader). */
interface ScheduleFields {
    get(key: string): string | undefined;
    label(key: string): string;
}

export const scheduleKeys = ["stopAt", "startAt", "timezone"] as const;

/** The keys as IdleStop arguments, checked here so a message names the key the user wrote. */
export function readSchedules(fields: ScheduleFields): ScheduleArgs {
    const args: ScheduleArgs = { stopAt: fields.get("stopAt"), startAt: fields.get("startAt"), timezone: fields.get("timezone") };
    resolveSchedules(args, (key) => fields.label(key));
    return args;
}
