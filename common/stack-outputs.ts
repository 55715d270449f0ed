// The stack's outputs as the program (index.ts) exports them and the laptop command reads them. Reference: docs/reference/configuration.md

/** One watched instance in the `instances` output: how to reach it, its metric and alarms, and where to look. */
export interface WatchedInstanceOutputs {
    readonly instanceId: string;
    readonly region: string;
    /** Whether the instance was adopted (true) or created by the stack (false). */
    readonly adopted: boolean;
    /** Where the agent push logs in (and `ssh-config` points ssh). */
    readonly sshHost: string;
    /** Whether sshHost was configured (a fixed name or address) rather than read from the instance. */
    readonly sshHostFixed: boolean;
    readonly sshUser: string;
    readonly sshPort: number;
    readonly idleMinutes: number;
    /** The metric's namespace and name (common/metric.ts). */
    readonly namespace: string;
    readonly metricName: string;
    /** The agent's install command and payload copy, which a lifecycle run targets (`pulumi up --target`). */
    readonly agentCommandUrn: string;
    readonly payloadUrn: string;
    readonly sshCommand: string;
    readonly alarmName: string;
    readonly alarmConsoleUrl: string;
    readonly silentAlarmName: string;
    readonly silentAlarmConsoleUrl: string;
    /** The stack's dashboard; "" when there is none. */
    readonly dashboardUrl: string;
    /**
     * Seconds between the agent's samples: what `savings` and status's saving line count each
     * sample as. Optional for the laptop: a stack deployed before it has none (read as 10).
     */
    readonly sampleSeconds?: number;
    /** Only for a box with a schedule (docs/reference/configuration.md#schedules): stopAt / startAt as written canonically, and their zone. */
    readonly stopAt?: string;
    readonly startAt?: string;
    readonly timezone?: string;
    /** Only for a box whose action is hibernate: `hibernate` (the laptop's `stop` then hibernates it too). */
    readonly action?: "hibernate";
}

/** Every output of the stack. The single-instance ones are set only when one instance is watched. */
export interface StackOutputs {
    /** Per watched instance, by its name (its Host alias). */
    readonly instances: Readonly<Record<string, WatchedInstanceOutputs>>;
    readonly dashboardUrl?: string;
    readonly instanceId?: string;
    readonly alarmName?: string;
    readonly alarmArn?: string;
    readonly sshCommand?: string;
    readonly silentAlarmName?: string;
    readonly alarmConsoleUrl?: string;
    readonly notificationTopicArn?: string;
}
