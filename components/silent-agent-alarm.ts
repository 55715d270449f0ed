/**
 * The silent-agent alarm: the instance is running, yet the agent has published nothing for
 * `silentMinutes`. With `treatMissingData: missing` the idle alarm can never fire on a silent
 * agent, so this is the alarm that says "this box will not stop by itself".
 *
 * Why metric math and not a composite alarm: "running" has to come from a metric that exists only
 * while the instance runs, and EC2's free basic monitoring publishes CPUUtilization every five
 * minutes exactly then. One alarm evaluating
 *   IF(running > 0 AND FILL(published, 0) == 0, 1, 0)
 * over 5-minute periods (`running` = CPUUtilization SampleCount, `published` = the agent's
 * SampleCount) is one alarm to pay for and reason about, where a composite needs two metric
 * alarms plus the composite, and its "agent missing" child would sit in ALARM whenever the box
 * is stopped. A stopped instance has no CPU datapoints, so the expression is 0 (or missing,
 * treated as not breaching): stopping never pages anyone.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { INSTANCE_ID_DIMENSION } from "../common/metric";

/** EC2 basic monitoring's period; every query in the alarm uses it. */
const silentAlarmPeriodSeconds = 300;

interface SilentAgentAlarmSettings {
    readonly instanceId: pulumi.Input<string>;
    readonly silentMinutes: number;
    readonly namespace: string;
    readonly metricName: string;
    readonly notifyArns: Array<pulumi.Input<string>>;
    readonly tags?: Record<string, string>;
}

/** Whole 5-minute periods covering `silentMinutes` (rounded up, at least one). */
function silentEvaluationPeriods(silentMinutes: number): number {
    return Math.max(1, Math.ceil((silentMinutes * 60) / silentAlarmPeriodSeconds));
}

function silentAgentAlarmArgs(settings: SilentAgentAlarmSettings): aws.cloudwatch.MetricAlarmArgs {
    const periods = silentEvaluationPeriods(settings.silentMinutes);
    return {
        alarmDescription: pulumi.interpolate`idle-stop: instance ${settings.instanceId} is running but its agent has published nothing for ${settings.silentMinutes} minutes, so it will not be stopped when idle. Check: systemctl status idle-stop-agent`,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: "notBreaching",
        metricQueries: [
            {
                id: "silent",
                label: "Instance running without agent datapoints",
                expression: "IF(running > 0 AND FILL(published, 0) == 0, 1, 0)",
                returnData: true,
            },
            {
                id: "running",
                metric: {
                    namespace: "AWS/EC2",
                    metricName: "CPUUtilization",
                    dimensions: { InstanceId: settings.instanceId },
                    period: silentAlarmPeriodSeconds,
                    stat: "SampleCount",
                },
                returnData: false,
            },
            {
                id: "published",
                metric: {
                    namespace: settings.namespace,
                    metricName: settings.metricName,
                    dimensions: { [INSTANCE_ID_DIMENSION]: settings.instanceId },
                    period: silentAlarmPeriodSeconds,
                    stat: "SampleCount",
                },
                returnData: false,
            },
        ],
        alarmActions: settings.notifyArns,
        tags: settings.tags,
    };
}

export function createSilentAgentAlarm(name: string, settings: SilentAgentAlarmSettings, parent: pulumi.Resource): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(`${name}-silent`, silentAgentAlarmArgs(settings), { parent });
}
