/**
 * The idle-stop program: one IdleStop per watched instance, configured by stack config
 * (`pulumi config set idle-stop:<key> <value>`; keys: docs/reference/configuration.md and Pulumi.yaml).
 * Shared by the stack: one SNS topic (when notifyEmail is set) and one dashboard.
 */
import * as pulumi from "@pulumi/pulumi";
import { IdleStop, InvalidSettingError } from "./components";
import { addressOverridesEnv, connectionOnlyEnv, parseAddressOverrides, parseConnectionOnly } from "./common/address-overrides";
import { createFleetDashboard } from "./components/fleet-dashboard";
import { createNotifications } from "./components/notifications";
import { configNamespace, readStackConfig, StackSettings } from "./program/stack-config";
import { StackOutputs, WatchedInstanceOutputs } from "./common/stack-outputs";

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
const notifications = settings.notifyEmails.length > 0 ? createNotifications("idle-stop-notify", settings.notifyEmails) : undefined;
const watchers = settings.instances.map(
    ({ name, args }) =>
        new IdleStop(name, {
            ...args,
            ssh: { ...args.ssh, currentAddress: currentAddresses[name] },
            agentConnectionOnly: parseConnectionOnly(process.env[connectionOnlyEnv]),
            notificationTopicArn: notifications?.topic.arn,
        }),
);

const dashboard = settings.dashboard
    ? createFleetDashboard(
          "idle-stop",
          watchers.map((w, index) =>
              pulumi.all([w.instanceId, w.alarmArn, w.silentAlarmArn]).apply(([instanceId, alarmArn, silentAlarmArn]) => ({
                  name: settings.instances[index].name,
                  instanceId,
                  idleMinutes: w.idleMinutes,
                  namespace: w.namespace,
                  metricName: w.metricName,
                  alarmArns: [alarmArn, silentAlarmArn],
              })),
          ),
      )
    : undefined;

/** One watched instance's entry in the `instances` output; every field of the shared shape, no more. */
function instanceOutputs(w: IdleStop): pulumi.Output<WatchedInstanceOutputs> {
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
    instances: pulumi.all(Object.fromEntries(watchers.map((w, index) => [settings.instances[index].name, instanceOutputs(w)]))),
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
