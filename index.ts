/**
 * The idle-stop program: one IdleStop per watched instance, configured by stack config
 * (`pulumi config set idle-stop:<key> <value>`; keys are documented in Pulumi.yaml and README).
 */
import * as pulumi from "@pulumi/pulumi";
import { IdleStop, InvalidSettingError } from "./components";
import { createNotifications } from "./components/notifications";
import { configNamespace, readStackConfig, StackSettings } from "./components/stack-config";

function readSettings(): StackSettings {
    try {
        return readStackConfig(new pulumi.Config(configNamespace));
    } catch (err) {
        // A bad setting is the user's to fix: show the message, not a stack trace.
        throw err instanceof InvalidSettingError ? new pulumi.RunError(err.message) : err;
    }
}

const settings = readSettings();

const notifications = settings.notifyEmails.length > 0 ? createNotifications("idle-stop-notify", settings.notifyEmails) : undefined;
const watchers = settings.instances.map(({ name, args }) =>
    new IdleStop(name, { ...args, notificationTopicArn: notifications?.topic.arn }));
const only = watchers[0];

export const instanceId = only.instanceId;
export const alarmName = only.alarmName;
export const alarmArn = only.alarmArn;
export const sshCommand = only.sshCommand;
export const alarmConsoleUrl = only.alarmConsoleUrl;
export const silentAlarmName = only.silentAlarmName;
export const notificationTopicArn = notifications?.topic.arn;
