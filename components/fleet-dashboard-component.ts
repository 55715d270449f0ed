/**
 * FleetDashboard: the stack's CloudWatch dashboard as a component (type
 * `idle-stop:index:FleetDashboard`) for programs in any language. The TypeScript program keeps
 * calling createFleetDashboard directly, so its existing dashboard keeps its name and URN.
 */
import * as pulumi from "@pulumi/pulumi";
import { createFleetDashboard, DashboardInstance } from "./fleet-dashboard";
import { idleStopDefaults } from "./idle-stop";
import { checkInteger, checkMetricName, InvalidSettingError, settingRanges } from "./validation";

/** One watched instance on the dashboard; the values come from its IdleStop's outputs. */
export interface DashboardEntry {
    /** Label of the instance on the dashboard (e.g. the IdleStop's name); unique within the dashboard. */
    readonly name: string;
    /** The watched instance's id (IdleStop's `instanceId`). */
    readonly instanceId: pulumi.Input<string>;
    /** Minutes at 0 sessions before the stop, shown as the threshold (IdleStop's `idleMinutes`). Default 15. */
    readonly idleMinutes?: number;
    /** CloudWatch namespace of the agent's metric (IdleStop's `namespace`). Default `IdleStop`. */
    readonly namespace?: string;
    /** CloudWatch metric name (IdleStop's `metricName`). Default `ActiveSessions`. */
    readonly metricName?: string;
    /** Alarms whose state the dashboard shows (IdleStop's `alarmArn` and `silentAlarmArn`). Default none. */
    readonly alarmArns?: pulumi.Input<string>[];
}

export interface FleetDashboardArgs {
    /** The watched instances, one line each on the sessions and running graphs. At least one. */
    readonly instances: DashboardEntry[];
}

/** One CloudWatch dashboard: active sessions per instance against the stop threshold, alarm states, instances running. */
export class FleetDashboard extends pulumi.ComponentResource {
    /** Name of the CloudWatch dashboard (`<project>-<stack>`). */
    public readonly dashboardName: pulumi.Output<string>;
    /** The dashboard in the CloudWatch console. */
    public readonly consoleUrl: pulumi.Output<string>;

    constructor(name: string, args: FleetDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("idle-stop:index:FleetDashboard", name, {}, opts);
        const entries = checkEntries(args.instances);
        const instances = entries.map((entry) => pulumi.all([entry.instanceId, pulumi.all(entry.alarmArns ?? [])])
            .apply(([instanceId, alarmArns]): DashboardInstance => ({
                name: entry.name,
                instanceId,
                idleMinutes: entry.idleMinutes ?? idleStopDefaults.idleMinutes,
                namespace: entry.namespace ?? idleStopDefaults.namespace,
                metricName: entry.metricName ?? idleStopDefaults.metricName,
                alarmArns,
            })));
        const dashboard = createFleetDashboard(name, instances, { parent: this });
        this.dashboardName = dashboard.dashboard.dashboardName;
        this.consoleUrl = dashboard.consoleUrl;
        this.registerOutputs({ dashboardName: this.dashboardName, consoleUrl: this.consoleUrl });
    }
}

function checkEntries(instances: DashboardEntry[] | undefined): DashboardEntry[] {
    if (!Array.isArray(instances) || instances.length === 0) {
        throw new InvalidSettingError("instances", instances, "a list of at least one watched instance");
    }
    const seen = new Set<string>();
    instances.forEach((entry, index) => {
        const key = `instances[${index}]`;
        if (typeof entry.name !== "string" || entry.name.trim() === "" || seen.has(entry.name)) {
            throw new InvalidSettingError(`${key}.name`, entry.name, "a label unique within the dashboard");
        }
        seen.add(entry.name);
        if (entry.idleMinutes !== undefined) {
            checkInteger(`${key}.idleMinutes`, entry.idleMinutes, settingRanges.idleMinutes.min, settingRanges.idleMinutes.max);
        }
        if (entry.namespace !== undefined) checkMetricName(`${key}.namespace`, entry.namespace);
        if (entry.metricName !== undefined) checkMetricName(`${key}.metricName`, entry.metricName);
    });
    return instances;
}
