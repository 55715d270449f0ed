/**
 * FleetDashboard: the stack's CloudWatch dashboard as a component (type
 * `idle-stop:index:FleetDashboard`) for programs in any language. The TypeScript program keeps
 * calling createFleetDashboard directly, so its existing dashboard keeps its name and URN.
 */
import * as pulumi from "@pulumi/pulumi";
import { createFleetDashboard, DashboardInstance } from "./fleet-dashboard";
import { idleStopDefaults } from "./idle-stop";
import { checkInteger, checkMetricName, InvalidSettingError, settingRanges } from "./validation";

/** One watched instance on the dashboard; the values come from its IdleStop's outputs (hence inputs, not plain values). */
export interface DashboardEntry {
    /** Label of the instance on the dashboard (e.g. the IdleStop's name); unique within the dashboard. */
    readonly name: string;
    /** The watched instance's id (IdleStop's `instanceId`). */
    readonly instanceId: pulumi.Input<string>;
    /** Minutes at 0 sessions before the stop, shown as the threshold (IdleStop's `idleMinutes`). Default 15. */
    readonly idleMinutes?: pulumi.Input<number>;
    /** CloudWatch namespace of the agent's metric (IdleStop's `namespace`). Default `IdleStop`. */
    readonly namespace?: pulumi.Input<string>;
    /** CloudWatch metric name (IdleStop's `metricName`). Default `ActiveSessions`. */
    readonly metricName?: pulumi.Input<string>;
    /** Alarms whose state the dashboard shows (IdleStop's `alarmArn` and `silentAlarmArn`). Default none. */
    readonly alarmArns?: Array<pulumi.Input<string>>;
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
        const entries = checkNames(args.instances);
        const instances = entries.map((entry, index) =>
            pulumi
                .all([
                    entry.instanceId,
                    entry.idleMinutes ?? idleStopDefaults.idleMinutes,
                    entry.namespace ?? idleStopDefaults.namespace,
                    entry.metricName ?? idleStopDefaults.metricName,
                    pulumi.all(entry.alarmArns ?? []),
                ])
                .apply(([instanceId, idleMinutes, namespace, metricName, alarmArns]): DashboardInstance => {
                    // Known only once the IdleStop outputs they come from resolve: checked here.
                    const key = `instances[${index}]`;
                    return {
                        name: entry.name,
                        instanceId,
                        idleMinutes: checkInteger(`${key}.idleMinutes`, idleMinutes, settingRanges.idleMinutes.min, settingRanges.idleMinutes.max),
                        namespace: checkMetricName(`${key}.namespace`, namespace),
                        metricName: checkMetricName(`${key}.metricName`, metricName),
                        alarmArns,
                    };
                }),
        );
        const dashboard = createFleetDashboard(name, instances, { parent: this });
        this.dashboardName = dashboard.dashboard.dashboardName;
        this.consoleUrl = dashboard.consoleUrl;
        this.registerOutputs({ dashboardName: this.dashboardName, consoleUrl: this.consoleUrl });
    }
}

function checkNames(instances: DashboardEntry[] | undefined): DashboardEntry[] {
    if (!Array.isArray(instances) || instances.length === 0) {
        throw new InvalidSettingError("instances", instances, "a list of at least one watched instance");
    }
    const seen = new Set<string>();
    instances.forEach((entry, index) => {
        if (typeof entry.name !== "string" || entry.name.trim() === "" || seen.has(entry.name)) {
            throw new InvalidSettingError(`instances[${index}].name`, entry.name, "a label unique within the dashboard");
        }
        seen.add(entry.name);
    });
    return instances;
}
