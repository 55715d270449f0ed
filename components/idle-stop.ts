/**
 * IdleStop: watches one EC2 instance and stops it after `idleMinutes` without an SSH session.
 *
 * Composition (all children are parented to the component):
 *   instance  created (security group, optional key pair, IMDSv2, Node.js user data) or adopted
 *             (a read-only lookup: no resource, so `pulumi destroy` cannot touch it)
 *   identity  instance profile (created) or IAM user + access key (adopted), least privilege
 *   alarm     Maximum(ActiveSessions) <= 0 for idleMinutes one-minute periods -> ec2:stop
 *             (or, with action hibernate, the alarm-action function and its invoke permission)
 *   agent     payload copied over SSH and registered as a service; uninstalled on destroy
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ProgramAgentConfig } from "../common/agent-config";
import { AlarmActionFunction, ALARM_INVOKE_PRINCIPAL } from "./alarm-action-function";
import { AgentIdentity, createIamUserIdentity, createInstanceProfileIdentity } from "./agent-identity";
import { ensureAgentPayload } from "./agent-payload";
import { pushAgent } from "./agent-push";
import { agentScheduleConfig, declareBoxSchedules } from "./box-schedules";
import { declareSleep, declareWake } from "./box-wake";
import { alarmConsoleUrl } from "./console-urls";
import { createIdleAlarm, IdleAlarmSettings, stopWarningAlarmArgs } from "./idle-alarm";
import { IdleStopArgs, idleStopDefaults, resolveIdleStopArgs } from "./idle-stop-args";
import { createSilentAgentAlarm } from "./silent-agent-alarm";
import { AddressScheme, adoptInstance, createInstance, WatchedInstance } from "./watched-instance";

export { AddressScheme, CreatedInstanceArgs, NewInstance } from "./watched-instance";
export { CredentialsMode } from "./agent-identity";
export { InstanceAction } from "./idle-alarm";
export { AlarmActionFunction, AlarmActionFunctionArgs } from "./alarm-action-function";
export { IdleStopArgs, IdleStopSshArgs, idleStopDefaults, resolveIdleStopArgs, SshConnection } from "./idle-stop-args";

/** The directory `npm run build` fills with the agent bundle and its installer. */
export const defaultPayloadDir = path.resolve(__dirname, "..", "agent", "dist");
/** The script that builds it (used on demand when the package runs from an unbuilt checkout). */
const payloadBuildScript = path.resolve(__dirname, "..", "agent", "build.mjs");

/**
 * Watches one EC2 instance (created, or adopted by id) and stops it after `idleMinutes` minutes
 * without an active SSH session: an on-instance agent publishes the session count to CloudWatch,
 * and a CloudWatch alarm stops the instance when the count stays at 0.
 *
 * For a box in another region pass that region's AWS provider (`{ provider }` or
 * `{ providers: { aws } }`): every child and lookup is parented here, so all of them use it, and
 * `region` is read from it (docs/reference/configuration.md, "Boxes in several regions").
 */
export class IdleStop extends pulumi.ComponentResource {
    /** The watched instance's id. */
    public readonly instanceId: pulumi.Output<string>;
    /** Whether the instance was adopted (true) or created by this component (false). */
    public readonly adopted: boolean;
    /** Name of the alarm that stops (or terminates) the idle instance. */
    public readonly alarmName: pulumi.Output<string>;
    /** ARN of that alarm. */
    public readonly alarmArn: pulumi.Output<string>;
    /** The alarm that fires when the instance runs but its agent is silent. */
    public readonly silentAlarmName: pulumi.Output<string>;
    /** ARN of the silent-agent alarm. */
    public readonly silentAlarmArn: pulumi.Output<string>;
    /** Minutes without an active session before the stop, as resolved (default applied). */
    public readonly idleMinutes: number;
    /** CloudWatch namespace of the agent's metric, as resolved. */
    public readonly namespace: string;
    /** CloudWatch metric name of the agent's metric, as resolved. */
    public readonly metricName: string;
    /** A ready-to-paste command that logs in to the instance. */
    public readonly sshCommand: pulumi.Output<string>;
    /** The region the instance and its alarms live in. */
    public readonly region: pulumi.Output<string>;
    /** Where the agent push logs in (the laptop command's ssh-config uses the same). */
    public readonly sshHost: pulumi.Output<string>;
    /** The SSH user the agent push logs in as. */
    public readonly sshUser: string;
    /** The SSH port the agent push dials. */
    public readonly sshPort: number;
    /** Whether `ssh.host` was given (a fixed name or address) rather than read from the instance. */
    public readonly sshHostFixed: boolean;
    /** URN of the agent's install command, so a lifecycle run can target it (`pulumi up --target`). */
    public readonly agentCommandUrn: pulumi.Output<string>;
    /** URN of the agent payload copy, targeted with the install command. */
    public readonly payloadUrn: pulumi.Output<string>;
    /** The idle alarm in the CloudWatch console. */
    public readonly alarmConsoleUrl: pulumi.Output<string>;
    /** The silent-agent alarm in the CloudWatch console. */
    public readonly silentAlarmConsoleUrl: pulumi.Output<string>;
    /** Content id of what is installed on the box; changes when the bundle or its config does. */
    public readonly agentRelease: pulumi.Output<string>;
    /** The created instance, when there is one. */
    public readonly instance?: aws.ec2.Instance;
    /** The watched instance's ARN, with action hibernate (what an AlarmActionFunction's `watch` takes). */
    public readonly instanceArn?: pulumi.Output<string>;

    constructor(name: string, args: IdleStopArgs, opts?: pulumi.ComponentResourceOptions) {
        // Only non-secret settings are recorded as the component's inputs in state.
        super("idle-stop:index:IdleStop", name, { instanceId: args.instanceId, idleMinutes: args.idleMinutes }, opts);
        const settings = resolveIdleStopArgs(args);
        const tags = { "idle-stop": name, ...(args.tags ?? {}) };
        this.adopted = args.instanceId !== undefined;

        const region = aws.getRegionOutput({}, { parent: this }).region;
        const partition = aws.getPartitionOutput({}, { parent: this });

        const identity: AgentIdentity =
            settings.credentials === "instance-profile"
                ? createInstanceProfileIdentity(name, partition.dnsSuffix, tags, this)
                : createIamUserIdentity(name, tags, this);

        const watched: WatchedInstance = this.adopted
            ? adoptInstance(name, args.instanceId!, settings.addressScheme, this)
            : createInstance(
                  name,
                  args.instance ?? {},
                  settings.sshPort,
                  settings.addressScheme ?? AddressScheme.Eip,
                  identity.instanceProfileName,
                  tags,
                  this,
                  settings.hibernationRootVolumeGb,
              );
        this.instance = watched.instance;
        const hibernate = settings.action === "hibernate";
        // Looked up only for hibernate: a stop or terminate stack makes no call it did not make before.
        const accountId = hibernate ? aws.getCallerIdentityOutput({}, { parent: this }).accountId : undefined;
        this.instanceArn = accountId && pulumi.interpolate`arn:${partition.partition}:ec2:${region}:${accountId}:instance/${watched.instanceId}`;
        if (hibernate && this.adopted) {
            // Hibernation can only be enabled at launch, and idle-stop never modifies an adopted instance.
            void pulumi.log.warn(
                `idle-stop: ${name} (${args.instanceId}) has action "hibernate": if it was not launched with hibernation enabled, the alarm-action function stops it plainly`,
                this,
            );
        }
        // A function of its own unless the caller shares one (the program: one per region, program/alarm-actions.ts).
        const ownFunction =
            hibernate && args.alarmActionFunctionArn === undefined
                ? new AlarmActionFunction(`${name}-alarm-action`, { tags }, { parent: this })
                : undefined;
        const functionArn = hibernate ? (ownFunction?.arn ?? args.alarmActionFunctionArn) : undefined;

        const notifyArns = args.notificationTopicArn ? [args.notificationTopicArn] : [];
        const idleSettings: IdleAlarmSettings = {
            instanceId: watched.instanceId,
            idleMinutes: settings.idleMinutes,
            namespace: settings.namespace,
            metricName: settings.metricName,
            action: settings.action,
            functionArn,
            partition: partition.partition,
            region,
            notifyArns,
            tags,
        };
        const alarm = createIdleAlarm(
            name,
            idleSettings,
            {
                sshUser: settings.sshUser,
                sshPort: settings.sshPort,
                sshHost: args.ssh.host,
                adopted: this.adopted,
                schedules: agentScheduleConfig(settings.schedules),
                sampleSeconds: settings.sampleSeconds,
            },
            this,
        );
        if (functionArn !== undefined && accountId !== undefined && this.instanceArn !== undefined) {
            // Only this alarm may invoke the function, from this account (docs/security.md).
            new aws.lambda.Permission(
                `${name}-alarm-invoke`,
                {
                    action: "lambda:InvokeFunction",
                    function: functionArn,
                    principal: ALARM_INVOKE_PRINCIPAL,
                    sourceArn: alarm.arn,
                    sourceAccount: accountId,
                },
                { parent: this },
            );
            ownFunction?.watch([{ instanceId: watched.instanceId, instanceArn: this.instanceArn }]);
        }
        const warningArgs =
            notifyArns.length > 0 && settings.warnMinutes > 0
                ? stopWarningAlarmArgs({ idle: idleSettings, warnMinutes: settings.warnMinutes, notifyArns })
                : undefined;
        if (warningArgs) {
            // Re-armed like the idle alarm: the first datapoint after a boot is >= 1.
            new aws.cloudwatch.MetricAlarm(`${name}-warning`, warningArgs, { parent: this });
        }
        const silent = createSilentAgentAlarm(
            name,
            {
                instanceId: watched.instanceId,
                silentMinutes: settings.silentMinutes,
                namespace: settings.namespace,
                metricName: settings.metricName,
                notifyArns,
                tags,
            },
            this,
        );
        // Fixed stop/start times (docs/reference/configuration.md#schedules); none configured: no resources.
        declareBoxSchedules(
            name,
            {
                schedules: settings.schedules,
                instanceId: watched.instanceId,
                partition: partition.partition,
                region,
                hibernate,
                stopFunctionArn: functionArn,
                tags,
            },
            this,
        );
        // No permission on alarms: the agent re-arms them by publishing (docs/security.md).
        const policy = identity.grant(settings.namespace);

        // The lifecycle's current address (npm run deploy) only stands in for an address that moves at
        // stop/start; a stable one stays, so a plain `pulumi preview` afterwards shows no change.
        const sshHost = pulumi.output(args.ssh.host ?? (watched.stable ? undefined : args.ssh.currentAddress) ?? watched.address);
        // What the wake and sleep steps act on; a change of where the push logs in re-runs them with it.
        const power = {
            instanceId: watched.instanceId,
            region,
            host: sshHost,
            port: settings.sshPort,
            hibernate,
            // With hibernate the pair is replaced (wake runs again) rather than the sleep re-run with an old wake's word.
            triggers: [sshHost, settings.sshUser, settings.sshPort, ...(hibernate ? ["hibernate"] : [])],
            dependsOn: watched.instance ? [watched.instance] : [],
        };
        const push = pushAgent(
            name,
            {
                ssh: { host: sshHost, user: settings.sshUser, port: settings.sshPort, privateKey: args.ssh.privateKey, hostKey: settings.sshHostKey },
                // alarmName is only shown by `idle-stop status`; the agent never calls the alarm API.
                agentConfig: pulumi
                    .all([watched.instanceId, region, alarm.name])
                    .apply(([instanceId, regionName, alarmName]): ProgramAgentConfig => ({
                        instanceId,
                        region: regionName,
                        namespace: settings.namespace,
                        metricName: settings.metricName,
                        sampleSeconds: settings.sampleSeconds,
                        publishSeconds: idleStopDefaults.publishSeconds,
                        alarmName,
                        idleMinutes: settings.idleMinutes,
                        // On the box: the terminal warning, and which sessions count (docs/reference/agent.md, docs/reference/metric.md).
                        warnMinutes: settings.warnMinutes,
                        sessionIdleSeconds: settings.sessionIdleMinutes * 60,
                        busyCpuPercent: settings.busyCpuPercent,
                        // Unattended work that counts as use (docs/reference/metric.md); 0 turns each off.
                        busyProcessPercent: settings.busyProcessPercent,
                        busyGpuPercent: settings.busyGpuPercent,
                        transferBytesPerMinute: settings.transferBytesPerMinute,
                        // sshd's sockets carry the sessions' traffic: the port pushes use, and 22.
                        sshPorts: [...new Set([22, settings.sshPort])],
                        // The scheduled stop's terminal warning and `status` (docs/reference/agent.md).
                        ...agentScheduleConfig(settings.schedules),
                    })),
                credentialsFile: identity.credentialsFile,
                payloadDir: ensureAgentPayload(defaultPayloadDir, payloadBuildScript),
                nodeDistUrl: settings.nodeDistUrl,
                clientAliveIntervalSeconds: settings.clientAliveIntervalSeconds || undefined,
                clientAliveCountMax: settings.clientAliveIntervalSeconds ? settings.clientAliveCountMax : undefined,
                dependsOn: watched.instance ? [watched.instance, policy] : [policy],
                connectionOnly: args.agentConnectionOnly === true,
                // Not in connection-only runs: the lifecycle commands woke the boxes already, and their
                // `pulumi up --target` must not meet a dependency that is not in the state yet.
                wake: args.agentConnectionOnly
                    ? undefined
                    : (release) => declareWake(name, { ...power, triggers: [release, ...power.triggers] }, this),
            },
            this,
        );
        if (push.wake) {
            // Puts a box the wake step started back to sleep once the agent is installed (components/box-wake.ts).
            declareSleep(name, { ...power, triggers: [push.release, ...power.triggers] }, push.wake, push.install, this);
        }

        this.instanceId = watched.instanceId;
        this.alarmName = alarm.name;
        this.alarmArn = alarm.arn;
        this.silentAlarmName = silent.name;
        this.silentAlarmArn = silent.arn;
        this.idleMinutes = settings.idleMinutes;
        this.namespace = settings.namespace;
        this.metricName = settings.metricName;
        this.agentRelease = push.release;
        this.region = region;
        this.sshHost = sshHost;
        this.sshUser = settings.sshUser;
        this.sshPort = settings.sshPort;
        this.sshHostFixed = args.ssh.host !== undefined;
        this.agentCommandUrn = push.install.urn;
        this.payloadUrn = push.copy.urn;
        this.sshCommand = sshHost.apply((host) => `ssh ${settings.sshPort === 22 ? "" : `-p ${settings.sshPort} `}${settings.sshUser}@${host}`);
        const consoleUrlOf = (alarmName: pulumi.Output<string>) =>
            pulumi
                .all([partition.partition, region, alarmName])
                .apply(([partitionName, regionName, resolvedName]) => alarmConsoleUrl(partitionName, regionName, resolvedName));
        this.alarmConsoleUrl = consoleUrlOf(alarm.name);
        this.silentAlarmConsoleUrl = consoleUrlOf(silent.name);

        this.registerOutputs({
            instanceId: this.instanceId,
            alarmName: this.alarmName,
            alarmArn: this.alarmArn,
            silentAlarmName: this.silentAlarmName,
            sshCommand: this.sshCommand,
            alarmConsoleUrl: this.alarmConsoleUrl,
            silentAlarmConsoleUrl: this.silentAlarmConsoleUrl,
            agentRelease: this.agentRelease,
        });
    }
}
