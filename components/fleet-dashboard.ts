/**
 * One CloudWatch dashboard per stack: active sessions of every watched instance against the stop
 * threshold, the alarms' states, and whether each instance is running at all.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONNECTED_SESSIONS_METRIC, INSTANCE_ID_DIMENSION } from "../common/metric";
import { dashboardConsoleUrl } from "./console-urls";

export interface DashboardInstance {
    readonly name: string;
    readonly instanceId: string;
    readonly idleMinutes: number;
    readonly namespace: string;
    readonly metricName: string;
    readonly alarmArns: string[];
}

type MetricLine = Array<string | Record<string, unknown>>;

interface Widget {
    readonly type: "text" | "metric" | "alarm";
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly properties: Record<string, unknown>;
}

function dashboardBody(stack: string, region: string, instances: DashboardInstance[]): string {
    const idleRange = [...new Set(instances.map((i) => i.idleMinutes))].sort((a, b) => a - b);
    const sessions: MetricLine[] = instances.map((i) => [
        i.namespace,
        i.metricName,
        INSTANCE_ID_DIMENSION,
        i.instanceId,
        { label: i.name, stat: "Maximum", period: 60 },
    ]);
    // Connected but not necessarily in use (the agent publishes both): the gap is open-but-idle sessions.
    const connected: MetricLine[] = instances.map((i) => [
        i.namespace,
        CONNECTED_SESSIONS_METRIC,
        INSTANCE_ID_DIMENSION,
        i.instanceId,
        { label: `${i.name} connected`, stat: "Maximum", period: 60, lineStyle: "dashed" },
    ]);
    const running: MetricLine[] = instances.map((i) => [
        "AWS/EC2",
        "CPUUtilization",
        "InstanceId",
        i.instanceId,
        { label: i.name, stat: "SampleCount", period: 300 },
    ]);
    const widgets: Widget[] = [
        {
            type: "text",
            x: 0,
            y: 0,
            width: 24,
            height: 2,
            properties: {
                markdown:
                    `## idle-stop: ${stack}\nAn instance stops after ${idleRange.join(" / ")} minutes at 0 active sessions ` +
                    "(SSH sessions in use, other terminals with input, keep-awake holds; a connected session counts only while it is used). On the box, `idle-stop status` shows why it is awake and `idle-stop hold 2h` keeps it awake.",
            },
        },
        {
            type: "metric",
            x: 0,
            y: 2,
            width: 16,
            height: 8,
            properties: {
                title: "Active sessions (in use: SSH + other terminals + holds) and connected SSH sessions (dashed), per minute",
                region,
                view: "timeSeries",
                stat: "Maximum",
                period: 60,
                metrics: [...sessions, ...connected],
                yAxis: { left: { min: 0, label: "sessions", showUnits: false } },
                annotations: { horizontal: [{ label: "stop threshold: 0 for the idle period", value: 0, fill: "below" }] },
            },
        },

        {
            type: "alarm",
            x: 16,
            y: 2,
            width: 8,
            height: 8,
            properties: { title: "Alarms", alarms: instances.flatMap((i) => i.alarmArns), sortBy: "stateUpdatedTimestamp" },
        },
        {
            type: "metric",
            x: 0,
            y: 10,
            width: 24,
            height: 5,
            properties: {
                title: "Instance running (EC2 monitoring samples per 5 minutes; none = stopped)",
                region,
                view: "timeSeries",
                period: 300,
                metrics: running,
                yAxis: { left: { min: 0, showUnits: false } },
            },
        },
    ];
    return JSON.stringify({ widgets });
}

/** CloudWatch dashboard names allow letters, digits, '-' and '_'. */
function dashboardName(project: string, stack: string): string {
    return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

export interface FleetDashboard {
    readonly dashboard: aws.cloudwatch.Dashboard;
    /** The dashboard in the CloudWatch console. */
    readonly consoleUrl: pulumi.Output<string>;
}

export function createFleetDashboard(
    name: string,
    instances: Array<pulumi.Input<DashboardInstance>>,
    opts?: pulumi.CustomResourceOptions,
): FleetDashboard {
    const region = aws.getRegionOutput({}, opts).region;
    const partition = aws.getPartitionOutput({}, opts).partition;
    const dashboard = new aws.cloudwatch.Dashboard(
        name,
        {
            dashboardName: dashboardName(pulumi.getProject(), pulumi.getStack()),
            dashboardBody: pulumi
                .all([region, pulumi.all(instances)])
                .apply(([regionName, resolved]) => dashboardBody(pulumi.getStack(), regionName, resolved as DashboardInstance[])),
        },
        opts,
    );
    const consoleUrl = pulumi
        .all([partition, region, dashboard.dashboardName])
        .apply(([partitionName, regionName, dashboardTitle]) => dashboardConsoleUrl(partitionName, regionName, dashboardTitle));
    return { dashboard, consoleUrl };
}
