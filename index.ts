/**
 * The idle-stop program: one IdleStop per watched instance, configured by stack config
 * (`pulumi config set idle-stop:<key> <value>`; keys: docs/reference/configuration.md and Pulumi.yaml).
 * Shared by the stack: one SNS topic (when notifyEmail is set; one more per other region, since an
 * alarm notifies only a topic in its own region) and one dashboard covering every region. A fleet
 * entry with its own `region` gets that region's provider (program/regional-providers.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { IdleStop, IdleStopArgs, InvalidSettingError } from "./components";
import { agentScheduleConfig, resolveSchedules } from "./components/box-schedules";
import { addressOverridesEnv, connectionOnlyEnv, parseAddressOverrides, parseConnectionOnly } from "./common/address-overrides";
import { createFleetDashboard } from "./components/fleet-dashboard";
import { createNotifications } from "./components/notifications";
import { alarmActionFunctions, watchHibernatingInstances } from "./program/alarm-actions";
import { regionalProviders } from "./program/regional-providers";
import { configNamespace, readStackConfig, StackSettings } from "./program/stack-config";
import { StackOutputs, WatchedInstanceOutputs } from "./common/stack-outputs";
import { programAgentDefaults } from "./common/agent-config";

function readSettings(): StackSettings {
    try {
        return readStackConfig(new pulumi.Config(configNamespace));
    } catch (err) {
        // A bad setting is the user's to fix: show the message, not a stack trace.
        throw err instanceof InvalidSettingError ? new pulumi.RunError(err.message) : err;
    }
}

const settings = readSettings();
/** Current addresses of boxes the lifecycle woke for this run (see common/address-overrides.ts). */
const currentAddresses = (() => {
    try {
        return parseAddressOverrides(process.env[addressOverridesEnv]);
    } catch (err) {
        throw new pulumi.RunError((err as Error).message);
    }
})();
const providers = regionalProviders(settings.instances.map((entry) => entry.region));
const notifications = settings.notifyEmails.length > 0 ? createNotifications("idle-stop-notify", settings.notifyEmails) : undefined;
/** The topic in each other region an entry uses, created once per region. */
const regionalTopics = new Map<string, pulumi.Output<string>>();
function topicArnFor(region: string | undefined): pulumi.Output<string> | undefined {
    const provider = providers.get(region);
    if (notifications === undefined || provider === undefined || region === undefined) return notifications?.topic.arn;
    if (!regionalTopics.has(region)) {
        regionalTopics.set(region, createNotifications(`idle-stop-notify-${region}`, settings.notifyEmails, { provider }).topic.arn);
    }
    return regionalTopics.get(region);
}
const alarmActions = alarmActionFunctions(settings.instances, providers);
const watchers = settings.instances.map(
    ({ name, region, args }) =>
        new IdleStop(
            name,
            {
                ...args,
                ssh: { ...args.ssh, currentAddress: currentAddresses[name] },
                agentConnectionOnly: parseConnectionOnly(process.env[connectionOnlyEnv]),
                notificationTopicArn: topicArnFor(region),
                alarmActionFunctionArn: alarmActions.get(providers.get(region))?.arn,
            },
            { provider: providers.get(region) },
        ),
);
watchHibernatingInstances(alarmActions, providers, settings.instances, watchers);

const dashboard = settings.dashboard
    ? createFleetDashboard(
          "idle-stop",
          watchers.map((w, index) =>
              pulumi.all([w.instanceId, w.region, w.alarmArn, w.silentAlarmArn]).apply(([instanceId, region, alarmArn, silentAlarmArn]) => ({
                  name: settings.instances[index].name,
                  instanceId,
                  region,
                  idleMinutes: w.idleMinutes,
                  namespace: w.namespace,
                  metricName: w.metricName,
                  alarmArns: [alarmArn, silentAlarmArn],
                  sampleSeconds: settings.instances[index].args.sampleSeconds,
              })),
          ),
      )
    : undefined;

/** One watched instance's entry in the `instances` output; every field of the shared shape, no more. */
function instanceOutputs(w: IdleStop, args: IdleStopArgs): pulumi.Output<WatchedInstanceOutputs> {
    const fields: { [K in keyof WatchedInstanceOutputs]: pulumi.Input<WatchedInstanceOutputs[K]> } = {
        instanceId: w.instanceId,
        region: w.region,
        adopted: w.adopted,
        sshHost: w.sshHost,
        sshHostFixed: w.sshHostFixed,
        sshUser: w.sshUser,
        sshPort: w.sshPort,
        idleMinutes: w.idleMinutes,
        namespace: w.namespace,
        metricName: w.metricName,
        agentCommandUrn: w.agentCommandUrn,
        payloadUrn: w.payloadUrn,
        sshCommand: w.sshCommand,
        alarmName: w.alarmName,
        alarmConsoleUrl: w.alarmConsoleUrl,
        silentAlarmName: w.silentAlarmName,
        silentAlarmConsoleUrl: w.silentAlarmConsoleUrl,
        dashboardUrl: dashboard?.consoleUrl ?? "",
        sampleSeconds: args.sampleSeconds ?? programAgentDefaults.sampleSeconds,
        // Checked by readStackConfig already; none without a schedule, so such a stack's outputs stay as they were.
        ...agentScheduleConfig(resolveSchedules(args)),
        // Only for hibernate, likewise: the laptop's `stop` hibernates such a box (docs/reference/laptop.md).
        ...(args.action === "hibernate" ? { action: "hibernate" as const } : {}),
    };
    return pulumi.output(fields);
}

/**
 * The stack's outputs (their shape: common/stack-outputs.ts). Per watched instance: how to reach
 * it, its alarms, and where to look; the laptop command (`npx idle-stop ssh-config | status |
 * start | stop | deploy | destroy`) reads these. With a single watched instance, its outputs also
 * sit at the top level (`pulumi stack output sshCommand`).
 */
const only = watchers.length === 1 ? watchers[0] : undefined;
const outputs = {
    instances: pulumi.all(
        Object.fromEntries(watchers.map((w, index) => [settings.instances[index].name, instanceOutputs(w, settings.instances[index].args)])),
    ),
    /** The stack's CloudWatch dashboard in the console. */
    dashboardUrl: dashboard?.consoleUrl,
    instanceId: only?.instanceId,
    alarmName: only?.alarmName,
    alarmArn: only?.alarmArn,
    sshCommand: only?.sshCommand,
    silentAlarmName: only?.silentAlarmName,
    alarmConsoleUrl: only?.alarmConsoleUrl,
    notificationTopicArn: notifications?.topic.arn,
} satisfies { readonly [K in keyof Required<StackOutputs>]: pulumi.Input<NonNullable<StackOutputs[K]>> | undefined };
export const { instances, dashboardUrl, instanceId, alarmName, alarmArn, sshCommand, silentAlarmName, alarmConsoleUrl, notificationTopicArn } =
    outputs;
