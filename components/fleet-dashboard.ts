/**
 * One CloudWatch dashboard per stack: active sessions of every watched instance against the stop
 * threshold, the alarms' states, whether each instance is running at all, per instance what kept
 * it up (one line per kind of signal), and the hours each ran per day. Instances may live in
 * several regions: a metric line of another region names its region, and a per-instance widget
 * sits in its instance's region, so one dashboard covers the whole fleet.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONNECTED_SESSIONS_METRIC, INSTANCE_ID_DIMENSION, KEPT_UP_BY_METRIC, KEPT_UP_SIGNALS, SIGNAL_DIMENSION } from "../common/metric";
import { dashboardConsoleUrl } from "./console-urls";
import { hoursWidgets } from "./hours-widgets";

export interface DashboardInstance {
    readonly name: string;
    readonly instanceId: string;
    /** The instance's region (its metrics live there). Default: the dashboard's region. */
    readonly region?: string;
    readonly idleMinutes: number;
    readonly namespace: string;
    readonly metricName: string;
    readonly alarmArns: string[];
    /** Seconds between the agent's samples (stack key sampleSeconds; default 10): the hours widgets' unit. */
    readonly sampleSeconds?: number;
}

type MetricLine = Array<string | Record<string, unknown>>;

export interface Widget {
    readonly type: "text" | "metric" | "alarm";
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly properties: Record<string, unknown>;
}

/** Where the per-instance "why is it up" widgets start, below the fleet-wide ones; two per row. */
const KEPT_UP_TOP = 15;
const KEPT_UP_WIDTH = 12;
const KEPT_UP_HEIGHT = 6;

/**
 * One widget per instance: KeptUpBy, one line per kind of signal (docs/reference/metric.md). The
 * agent publishes a kind only for the minutes it kept the box up, so a line shows exactly when and
 * how much that kind counted, and a minute with no line at all is a minute nothing kept it up.
 */
function keptUpWidget(instance: DashboardInstance, index: number, dashboardRegion: string): Widget {
    const region = instance.region ?? dashboardRegion;
    const lines: MetricLine[] = KEPT_UP_SIGNALS.map((signal) => [
        instance.namespace,
        KEPT_UP_BY_METRIC,
        INSTANCE_ID_DIMENSION,
        instance.instanceId,
        SIGNAL_DIMENSION,
        signal,
        { label: signal, stat: "Maximum", period: 60 },
    ]);
    return {
        type: "metric",
        x: (index % 2) * KEPT_UP_WIDTH,
        y: KEPT_UP_TOP + Math.floor(index / 2) * KEPT_UP_HEIGHT,
        width: KEPT_UP_WIDTH,
        height: KEPT_UP_HEIGHT,
        properties: {
            title: `Why ${instance.name} is up: what each kind of signal added to active sessions, per minute`,
            region,
            view: "timeSeries",
            stat: "Maximum",
            period: 60,
            metrics: lines,
            yAxis: { left: { min: 0, label: "sessions", showUnits: false } },
        },
    };
}

function dashboardBody(stack: string, region: string, instances: DashboardInstance[]): string {
    // A metric line's own `region` lets a widget in the dashboard's region graph another region's
    // metric; set only when it differs, so a one-region dashboard is unchanged.
    const regionOf = (i: DashboardInstance) => (i.region === undefined || i.region === region ? {} : { region: i.region });
    const idleRange = [...new Set(instances.map((i) => i.idleMinutes))].sort((a, b) => a - b);
    const sessions: MetricLine[] = instances.map((i) => [
        i.namespace,
        i.metricName,
        INSTANCE_ID_DIMENSION,
        i.instanceId,
        { label: i.name, stat: "Maximum", period: 60, ...regionOf(i) },
    ]);
    // Connected but not necessarily in use (the agent publishes both): the gap is open-but-idle sessions.
    const connected: MetricLine[] = instances.map((i) => [
        i.namespace,
        CONNECTED_SESSIONS_METRIC,
        INSTANCE_ID_DIMENSION,
        i.instanceId,
        { label: `${i.name} connected`, stat: "Maximum", period: 60, lineStyle: "dashed", ...regionOf(i) },
    ]);
    const running: MetricLine[] = instances.map((i) => [
        "AWS/EC2",
        "CPUUtilization",
        "InstanceId",
        i.instanceId,
        { label: i.name, stat: "SampleCount", period: 300, ...regionOf(i) },
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
                    "(SSH sessions in use, other terminals with input, keep-awake holds, busy processes, a busy GPU, transfers; a connected session counts only while it is used). " +
                    'Each instance\'s "Why ... is up" graph shows which kinds kept it up. On the box, `idle-stop status` shows why it is awake and `idle-stop hold 2h` keeps it awake.',
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
        ...instances.map((instance, index) => keptUpWidget(instance, index, region)),
        // Below the "why is it up" widgets.
        ...hoursWidgets(instances, region, KEPT_UP_TOP + Math.ceil(instances.length / 2) * KEPT_UP_HEIGHT),
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
