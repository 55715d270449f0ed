// What an idle-stop schedule sends to the stack's alarm-action function when a box hibernates at its stopAt time (docs/reference/configuration.md#schedules).

/**
 * The scheduled stop's event, the EventBridge Scheduler target's Input for the alarm-action
 * function (a plain stop needs no function: the schedule calls ec2:StopInstances itself). The
 * function acts only on an instance it watches, as it does for an alarm's event.
 */
export interface ScheduledActionEvent {
    readonly source: typeof SCHEDULED_ACTION_SOURCE;
    /** What the schedule asks for; the function falls back to a plain stop as for the alarm. */
    readonly action: "hibernate";
    readonly instanceId: string;
}

export const SCHEDULED_ACTION_SOURCE = "idle-stop.schedule";

/** The Input of a hibernating stopAt schedule for one instance. */
export function scheduledActionEvent(instanceId: string): ScheduledActionEvent {
    return { source: SCHEDULED_ACTION_SOURCE, action: "hibernate", instanceId };
}
