/**
 * The box's fixed stop and start times (`stopAt`, `startAt`, `timezone`): one EventBridge Scheduler
 * schedule per time, calling EC2 through Scheduler's universal target (no function of ours), or
 * the stack's alarm-action function for a box that hibernates, with a role that may act on this
 * instance only (docs/reference/configuration.md#schedules). No schedule given: nothing here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    DEFAULT_TIME_ZONE,
    formatSchedule,
    isTimeZone,
    parseSchedule,
    Schedule,
    SCHEDULE_ALLOWED,
    scheduleCron,
    TIME_ZONE_ALLOWED,
} from "../common/schedule";
import { scheduledActionEvent } from "../common/scheduled-action";
import { InvalidSettingError } from "./validation";

/** The schedule settings as IdleStopArgs and the stack config carry them. */
export interface ScheduleArgs {
    readonly stopAt?: string;
    readonly startAt?: string;
    readonly timezone?: string;
}

/** The schedules checked: undefined where not given. */
export interface ResolvedSchedules {
    readonly stopAt?: Schedule;
    readonly startAt?: Schedule;
    readonly timezone: string;
}

/** Checks the schedule settings; `label` names each as the user wrote it. */
export function resolveSchedules(args: ScheduleArgs, label: (argName: string) => string = (argName) => argName): ResolvedSchedules {
    const schedule = (key: "stopAt" | "startAt"): Schedule | undefined => {
        const raw = args[key];
        if (raw === undefined) return undefined;
        const parsed = typeof raw === "string" ? parseSchedule(raw) : undefined;
        if (parsed === undefined) throw new InvalidSettingError(label(key), raw, SCHEDULE_ALLOWED);
        return parsed;
    };
    const timezone = args.timezone ?? DEFAULT_TIME_ZONE;
    if (typeof timezone !== "string" || !isTimeZone(timezone)) throw new InvalidSettingError(label("timezone"), timezone, TIME_ZONE_ALLOWED);
    return { stopAt: schedule("stopAt"), startAt: schedule("startAt"), timezone };
}

export interface BoxScheduleSettings {
    readonly schedules: ResolvedSchedules;
    readonly instanceId: pulumi.Input<string>;
    readonly partition: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** Whether the box's action is `hibernate`: the stop schedule then invokes the alarm-action function. */
    readonly hibernate: boolean;
    /** The stack's alarm-action function (IdleStopArgs.alarmActionFunctionArn). */
    readonly stopFunctionArn?: pulumi.Input<string>;
    readonly tags?: Record<string, string>;
}

/** What the role may do, in IAM policy JSON: EC2 on the one instance, or invoking the one function. */
function permissions(s: BoxScheduleSettings, accountId: pulumi.Input<string>): pulumi.Output<string> {
    const instanceArn = pulumi.interpolate`arn:${s.partition}:ec2:${s.region}:${accountId}:instance/${s.instanceId}`;
    const ec2Actions = [
        ...(s.schedules.stopAt && s.stopFunctionArn === undefined ? ["ec2:StopInstances"] : []),
        ...(s.schedules.startAt ? ["ec2:StartInstances"] : []),
    ];
    return pulumi.all([instanceArn, s.stopFunctionArn]).apply(([instance, fn]) => {
        const statements: object[] = [];
        if (ec2Actions.length > 0) statements.push({ Effect: "Allow", Action: ec2Actions, Resource: instance });
        if (s.schedules.stopAt && fn !== undefined) statements.push({ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn });
        return JSON.stringify({ Version: "2012-10-17", Statement: statements });
    });
}

/** The Scheduler service may take the role, for this account's schedules only (confused deputy). */
function trustPolicy(accountId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(accountId).apply((account) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "scheduler.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": account } },
                },
            ],
        }),
    );
}

/** The universal target of an EC2 call: Scheduler makes the API call itself, with the role. */
function ec2Target(partition: pulumi.Input<string>, operation: "stopInstances" | "startInstances"): pulumi.Output<string> {
    return pulumi.interpolate`arn:${partition}:scheduler:::aws-sdk:ec2:${operation}`;
}

/** The stop and start schedules and their role; nothing when neither time is given. */
export function declareBoxSchedules(name: string, s: BoxScheduleSettings, parent: pulumi.Resource): aws.scheduler.Schedule[] {
    const { stopAt, startAt, timezone } = s.schedules;
    if (stopAt === undefined && startAt === undefined) return [];
    if (s.hibernate && stopAt !== undefined && s.stopFunctionArn === undefined) {
        throw new InvalidSettingError(
            "alarmActionFunctionArn",
            undefined,
            "the alarm-action function's ARN when action is hibernate and stopAt is set (the schedule hibernates the box through it)",
        );
    }
    s = { ...s, stopFunctionArn: s.hibernate ? s.stopFunctionArn : undefined };
    const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
    const role = new aws.iam.Role(`${name}-schedule`, { assumeRolePolicy: trustPolicy(accountId), tags: s.tags }, { parent });
    new aws.iam.RolePolicy(`${name}-schedule`, { role: role.id, policy: permissions(s, accountId) }, { parent });
    const instanceInput = pulumi.output(s.instanceId).apply((id) => JSON.stringify({ InstanceIds: [id] }));
    const schedule = (key: string, when: Schedule, target: aws.types.input.scheduler.ScheduleTarget, what: string) =>
        new aws.scheduler.Schedule(
            `${name}-${key}`,
            {
                description: pulumi.interpolate`idle-stop: ${what} ${s.instanceId}`,
                scheduleExpression: scheduleCron(when),
                scheduleExpressionTimezone: timezone,
                flexibleTimeWindow: { mode: "OFF" },
                // Scheduler's default retries a failed call for up to a day: a start that fails at
                // 08:30 (no capacity) must not start the box at night. A few tries in 15 minutes.
                target: {
                    ...target,
                    retryPolicy: { maximumEventAgeInSeconds: SCHEDULE_RETRY.maxAgeSeconds, maximumRetryAttempts: SCHEDULE_RETRY.attempts },
                },
            },
            { parent },
        );
    const schedules: aws.scheduler.Schedule[] = [];
    if (stopAt !== undefined) {
        const target =
            s.stopFunctionArn === undefined
                ? { arn: ec2Target(s.partition, "stopInstances"), roleArn: role.arn, input: instanceInput }
                : {
                      arn: s.stopFunctionArn,
                      roleArn: role.arn,
                      input: pulumi.output(s.instanceId).apply((id) => JSON.stringify(scheduledActionEvent(id))),
                  };
        schedules.push(schedule("stop-at", stopAt, target, s.stopFunctionArn === undefined ? "stop" : "hibernate"));
    }
    if (startAt !== undefined) {
        schedules.push(
            schedule("start-at", startAt, { arn: ec2Target(s.partition, "startInstances"), roleArn: role.arn, input: instanceInput }, "start"),
        );
    }
    return schedules;
}

/** How long a scheduled stop or start may be retried after its time (docs/reference/configuration.md#schedules). */
const SCHEDULE_RETRY = { maxAgeSeconds: 900, attempts: 3 } as const;

/** The schedule keys of agent.json (common/agent-config.ts): only those set, so a box without a schedule gets the same file as before. */
export function agentScheduleConfig(s: ResolvedSchedules): { stopAt?: string; startAt?: string; timezone?: string } {
    if (s.stopAt === undefined && s.startAt === undefined) return {};
    return {
        ...(s.stopAt !== undefined ? { stopAt: formatSchedule(s.stopAt) } : {}),
        ...(s.startAt !== undefined ? { startAt: formatSchedule(s.startAt) } : {}),
        timezone: s.timezone,
    };
}
