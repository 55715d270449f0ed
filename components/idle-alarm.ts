/**
 * The alarm that stops the instance: `idleMinutes` one-minute periods in a row whose Maximum of
 * active sessions is 0. Maximum (not Average) so a single sample with a session keeps the box
 * up for that minute; `missing` so a gap in data (the box is stopped, the agent restarts) never
 * counts as idle (AWS's advice for alarms with EC2 actions).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { INSTANCE_ID_DIMENSION } from "../common/metric";
import { BoxTags, boxTags } from "../common/box-tags";

/**
 * What the idle alarm does to the instance. An `as const` object (see CredentialsMode): an enum in
 * the Pulumi schema, plain strings for TypeScript callers.
 */
export const InstanceAction = {
    /** Stop the instance; its disks stay and it can be started again. */
    Stop: "stop",
    /** Terminate the instance (throwaway boxes); its disks are lost. */
    Terminate: "terminate",
    /**
     * Hibernate the instance (its memory is saved to the root volume and restored at start), through
     * the stack's alarm-action function; stopped plainly where it cannot hibernate.
     */
    Hibernate: "hibernate",
} as const;
export type InstanceAction = (typeof InstanceAction)[keyof typeof InstanceAction];
export const instanceActions: readonly InstanceAction[] = Object.values(InstanceAction);

export interface IdleAlarmSettings {
    readonly instanceId: pulumi.Input<string>;
    readonly idleMinutes: number;
    readonly namespace: string;
    readonly metricName: string;
    readonly action: InstanceAction;
    /** The alarm-action function the alarm invokes; needed (and only used) with action hibernate. */
    readonly functionArn?: pulumi.Input<string>;
    readonly partition: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** Extra alarm actions (e.g. an SNS topic that hears the stop). */
    readonly notifyArns?: Array<pulumi.Input<string>>;
    readonly tags?: Record<string, string>;
}

/** CloudWatch's EC2 action ARN; AWS performs it through its service-linked role. */
function ec2ActionArn(partition: string, region: string, action: InstanceAction): string {
    return `arn:${partition}:automate:${region}:ec2:${action}`;
}

/** The alarm's own action: CloudWatch's EC2 action, or (hibernate, which it has not) the function's ARN. */
function actionArnOf(settings: IdleAlarmSettings): pulumi.Input<string> {
    if (settings.action === InstanceAction.Hibernate) {
        if (settings.functionArn === undefined) throw new Error("idle-stop: action hibernate needs the alarm-action function's ARN");
        return settings.functionArn;
    }
    return pulumi.all([settings.partition, settings.region]).apply(([partition, region]) => ec2ActionArn(partition, region, settings.action));
}

/** How the warning alarm names what is coming. */
const actionDone: Record<InstanceAction, string> = { stop: "stopped", terminate: "terminated", hibernate: "hibernated" };

function idleAlarmArgs(settings: IdleAlarmSettings): aws.cloudwatch.MetricAlarmArgs {
    const actionArn = actionArnOf(settings);
    return {
        alarmDescription: pulumi.interpolate`idle-stop: ${settings.action} ${settings.instanceId} after ${settings.idleMinutes} minutes without an SSH session or keep-awake hold`,
        namespace: settings.namespace,
        metricName: settings.metricName,
        dimensions: { [INSTANCE_ID_DIMENSION]: settings.instanceId },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: settings.idleMinutes,
        datapointsToAlarm: settings.idleMinutes,
        comparisonOperator: "LessThanOrEqualToThreshold",
        threshold: 0,
        treatMissingData: "missing",
        alarmActions: [actionArn, ...(settings.notifyArns ?? [])],
        tags: settings.tags,
    };
}

/** How the box is reached, written as tags on its idle alarm (common/box-tags.ts). */
export interface IdleAlarmBox {
    readonly sshUser: string;
    readonly sshPort: number;
    /** Only when the address is fixed by config. */
    readonly sshHost?: pulumi.Input<string>;
    readonly adopted: boolean;
    /** The fixed stop/start times, as agent.json carries them (components/box-schedules.ts); empty when none. */
    readonly schedules?: Pick<BoxTags, "stopAt" | "startAt" | "timezone">;
    /** The agent's sampleSeconds: what `savings` counts each sample as. */
    readonly sampleSeconds: number;
}

/**
 * The idle alarm, tagged so the laptop command finds the box from AWS alone
 * (docs/reference/laptop.md#finding-the-boxes). Only this alarm carries the box tags: the warning
 * alarm shares its condition, not its role.
 */
export function createIdleAlarm(name: string, settings: IdleAlarmSettings, box: IdleAlarmBox, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm {
    const stack = `${pulumi.getProject()}/${pulumi.getStack()}`;
    const tags = pulumi.output(box.sshHost).apply((sshHost) => ({
        ...(settings.tags ?? {}),
        ...boxTags({
            box: name,
            stack,
            sshUser: box.sshUser,
            sshPort: box.sshPort,
            sshHost,
            adopted: box.adopted,
            sampleSeconds: box.sampleSeconds,
            ...box.schedules,
        }),
    }));
    return new aws.cloudwatch.MetricAlarm(`${name}-idle`, { ...idleAlarmArgs(settings), tags }, { parent });
}

interface StopWarningSettings {
    readonly idle: IdleAlarmSettings;
    /** Minutes before the stop at which the warning fires. */
    readonly warnMinutes: number;
    readonly notifyArns: Array<pulumi.Input<string>>;
}

/**
 * The same idle condition, `warnMinutes` earlier, notifying people instead of acting on the
 * instance. Undefined when the idle period is too short to warn before it ends.
 */
export function stopWarningAlarmArgs(settings: StopWarningSettings): aws.cloudwatch.MetricAlarmArgs | undefined {
    const periods = settings.idle.idleMinutes - settings.warnMinutes;
    if (periods < 1) return undefined;
    return {
        ...idleAlarmArgs(settings.idle),
        alarmDescription: pulumi.interpolate`idle-stop: ${settings.idle.instanceId} has been idle for ${periods} minutes and will be ${actionDone[settings.idle.action]} in ${settings.warnMinutes} minutes. Log in, or run \`idle-stop hold 2h\` on it, to keep it.`,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        alarmActions: settings.notifyArns,
    };
}
