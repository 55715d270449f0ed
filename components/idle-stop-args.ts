// IdleStop's arguments: their types (the package schema's input types), defaults, and the checks
// that turn them into settings before any resource is declared. Reference: docs/reference/configuration.md
import * as pulumi from "@pulumi/pulumi";
import { programAgentDefaults } from "../common/agent-config";
import { CredentialsMode, credentialsModes } from "./agent-identity";
import { hibernationRootVolume } from "./hibernation";
import { InstanceAction, instanceActions } from "./idle-alarm";
import {
    checkCidr,
    checkHttpsUrl,
    checkInstanceId,
    checkInteger,
    checkMetricName,
    checkOneOf,
    checkSshHostKey,
    checkSshUser,
    InvalidSettingError,
    RangedSetting,
    settingRanges,
} from "./validation";
import { ResolvedSchedules, resolveSchedules } from "./box-schedules";
import { AddressScheme, addressSchemes, NewInstance } from "./watched-instance";

/**
 * How Pulumi reaches the instance over SSH to push and register the agent. (The interface's name is
 * the type's name in the package schema, hence not `...Args`: other languages' SDKs append `Args`.)
 */
export interface SshConnection {
    /** Host name or address. Default: the instance's public DNS name, else its public or private IP. */
    readonly host?: pulumi.Input<string>;
    /** User with passwordless sudo. Default `ubuntu` (use `ec2-user` on Amazon Linux / Cloud9 AL2). */
    readonly user?: string;
    /** Default 22. */
    readonly port?: number;
    /** Private key (OpenSSH or PEM). Required. Treated as a secret whether or not it already is one. */
    readonly privateKey: pulumi.Input<string>;
    /**
     * The instance's address right now, when the caller knows better than the instance's recorded
     * one (a box woken for this run got a new public IP). Ignored when `host` is given, and when
     * the box's address survives stop/start (docs/reference/configuration.md, addressScheme).
     * Default: the instance's address.
     */
    readonly currentAddress?: pulumi.Input<string>;
}

/** The former name of SshConnection, kept for TypeScript callers. */
export type IdleStopSshArgs = SshConnection;

export interface IdleStopArgs {
    /**
     * Adopt this existing instance (`i-` + 8 or 17 hex digits) instead of creating one. It is looked
     * up, never managed: idle-stop does not modify it and `pulumi destroy` never terminates it.
     * Default: create an instance from `instance`.
     */
    readonly instanceId?: string;
    /** Settings for the instance idle-stop creates. Must not be given together with `instanceId`. */
    readonly instance?: NewInstance;
    /**
     * Which address the agent push dials, one that survives stop/start: `eip` (an Elastic IP
     * associated with a created instance), `private` (its private IP) or `ipv6` (its first IPv6
     * address). Default `eip` for a created instance; for an adopted one (never modified, so no
     * Elastic IP) its current public DNS name or IP unless `private` or `ipv6` is given.
     * Costs: docs/reference/configuration.md. `ssh.host`, when given, wins.
     */
    readonly addressScheme?: AddressScheme;
    /** Minutes without an active session before the instance is stopped; 1..1440. Default 15. */
    readonly idleMinutes?: number;
    /** SSH settings for pushing the agent. */
    readonly ssh: SshConnection;
    /**
     * The box's SSH host key, e.g. `ssh-ed25519 AAAA...` (a line of its
     * `/etc/ssh/ssh_host_ed25519_key.pub`, or your known_hosts entry for it; ed25519 or ECDSA).
     * When given, the agent push refuses any server that does not prove it holds this key, before
     * it logs in or sends anything. Default: none, the push trusts whatever answers (docs/security.md).
     */
    readonly sshHostKey?: string;
    /**
     * How the agent gets AWS credentials. Default `instance-profile` for a created instance and
     * `iam-user` for an adopted one (giving it a profile would modify it, so that is refused).
     */
    readonly credentials?: CredentialsMode;
    /**
     * What the alarm does to the idle instance: `stop`, `terminate`, or `hibernate` (through the
     * alarm-action function; a created instance is then launched ready to hibernate, an instance
     * that cannot hibernate is stopped plainly). Default `stop`.
     */
    readonly action?: InstanceAction;
    /**
     * With `action: hibernate`, the ARN of an alarm-action function shared by several IdleStops in
     * one region (from TypeScript: an AlarmActionFunction, whose `watch` then gets every such
     * IdleStop's instanceId and instanceArn). A `stopAt` schedule hibernates the box through the
     * same function. Default: the component creates a function of its own.
     */
    readonly alarmActionFunctionArn?: pulumi.Input<string>;
    /**
     * Allow `action: terminate` on an adopted instance. Default false: an adopted instance is
     * somebody's existing box, and terminating it loses its disks.
     */
    readonly allowTerminateAdopted?: boolean;
    /**
     * Minutes the instance may run with no datapoint from its agent before the silent-agent alarm
     * fires (rounded up to whole 5-minute periods); 5..1440. Default 10.
     */
    readonly silentMinutes?: number;
    /**
     * Minutes before the stop at which a warning is sent (needs `notificationTopicArn`) and the box's
     * terminals are warned (also before a `stopAt` stop); 0 disables. Default 5.
     */
    readonly warnMinutes?: number;
    /**
     * Stop the box at this time whatever it is doing: `HH:MM` (24-hour), optionally after days,
     * e.g. `"20:00"`, `"Mon-Fri 20:00"`, `"Mon,Wed,Fri 08:30"` (Mon Tue Wed Thu Fri Sat Sun), in
     * `timezone`. Built with EventBridge Scheduler (docs/reference/configuration.md#schedules). Default: none.
     */
    readonly stopAt?: string;
    /** Start the box at this time, same form as `stopAt`. Default: none. */
    readonly startAt?: string;
    /** IANA time zone of `stopAt` and `startAt`, e.g. `Europe/Berlin`. Default `UTC`. */
    readonly timezone?: string;
    /**
     * SNS topic that hears the stop itself, the warning before it and the silent-agent alarm.
     * Default: none (no notifications; the alarms still show in the console).
     */
    readonly notificationTopicArn?: pulumi.Input<string>;
    /** CloudWatch namespace of the agent's metric. Default `IdleStop`. */
    readonly namespace?: string;
    /** CloudWatch metric name. Default `ActiveSessions`. */
    readonly metricName?: string;
    /** Seconds between two samples of the session count; 1..60. Default 10. */
    readonly sampleSeconds?: number;
    /**
     * A connected SSH session stops counting as active after this many minutes without use:
     * terminal input, or (sessions without a terminal) client traffic above keep-alive level.
     * 0..1440; 0 keeps the original rule, where being connected is enough. Default 60.
     */
    readonly sessionIdleMinutes?: number;
    /**
     * Whole-machine CPU use at or above this percent counts as one active session, for batch boxes
     * that run jobs without anyone logged in; 0..100, 0 = off. Default 0.
     */
    readonly busyCpuPercent?: number;
    /**
     * A process of a person's work (not the agent, kernel threads or system daemons) using at least
     * this percent of ONE core over the window counts as use: a training script in a detached
     * tmux, a compiler, a Jupyter kernel running a cell. 0..100, 0 = off. Default 25.
     */
    readonly busyProcessPercent?: number;
    /**
     * Any NVIDIA GPU at or above this utilization percent (nvidia-smi) counts as use; a box without
     * a GPU or without nvidia-smi is unaffected. 0..100, 0 = off. Default 10.
     */
    readonly busyGpuPercent?: number;
    /**
     * Network traffic that is not SSH (downloads and uploads of data sets, `docker pull`), both ways,
     * at or above this many bytes per minute counts as use. 0..1000000000, 0 = off. Default 1048576 (1 MiB/min).
     */
    readonly transferBytesPerMinute?: number;
    /** Base URL of Node.js release downloads (a mirror for private subnets). Default `https://nodejs.org/dist`. */
    readonly nodeDistUrl?: string;
    /**
     * sshd `ClientAliveInterval` in seconds installed as a drop-in, so dead-but-open connections are
     * closed and stop keeping the box awake; 0 leaves sshd alone. Default 60.
     */
    readonly clientAliveIntervalSeconds?: number;
    /** sshd `ClientAliveCountMax` for that drop-in. Default 3. */
    readonly clientAliveCountMax?: number;
    /**
     * Only move the agent push's stored SSH connection to the current address; every other change
     * to the push is ignored for this run. Used by the lifecycle commands before a destroy or a
     * replacement (see common/address-overrides.ts). Default false.
     */
    readonly agentConnectionOnly?: boolean;
    /** Tags for every taggable resource. Default `{}` (the component adds `idle-stop: <name>`). */
    readonly tags?: Record<string, string>;
}

/**
 * Defaults of optional IdleStopArgs fields, in one place for the component and the docs. Those the
 * agent reads come from common/agent-config.ts, beside agent.json's own defaults.
 */
export const idleStopDefaults = {
    idleMinutes: 15,
    sshUser: "ubuntu",
    sshPort: 22,
    action: InstanceAction.Stop as InstanceAction,
    silentMinutes: 10,
    warnMinutes: programAgentDefaults.warnMinutes,
    namespace: programAgentDefaults.namespace,
    metricName: programAgentDefaults.metricName,
    sampleSeconds: programAgentDefaults.sampleSeconds,
    sessionIdleMinutes: programAgentDefaults.sessionIdleMinutes,
    busyCpuPercent: programAgentDefaults.busyCpuPercent,
    busyProcessPercent: programAgentDefaults.busyProcessPercent,
    busyGpuPercent: programAgentDefaults.busyGpuPercent,
    transferBytesPerMinute: programAgentDefaults.transferBytesPerMinute,
    publishSeconds: programAgentDefaults.publishSeconds,
    nodeDistUrl: "https://nodejs.org/dist",
    clientAliveIntervalSeconds: 60,
    clientAliveCountMax: 3,
} as const;

interface ResolvedArgs {
    /** Undefined only for an adopted instance without a scheme (its current address). */
    readonly addressScheme?: AddressScheme;
    readonly idleMinutes: number;
    readonly sshUser: string;
    readonly sshPort: number;
    readonly sshHostKey?: string;
    readonly credentials: CredentialsMode;
    readonly action: InstanceAction;
    /** The created instance's root volume size when it must hold its memory (action hibernate). */
    readonly hibernationRootVolumeGb?: number;
    readonly silentMinutes: number;
    readonly warnMinutes: number;
    readonly namespace: string;
    readonly metricName: string;
    readonly sampleSeconds: number;
    readonly sessionIdleMinutes: number;
    readonly busyCpuPercent: number;
    readonly busyProcessPercent: number;
    readonly busyGpuPercent: number;
    readonly transferBytesPerMinute: number;
    readonly nodeDistUrl: string;
    readonly clientAliveIntervalSeconds: number;
    readonly clientAliveCountMax: number;
    readonly schedules: ResolvedSchedules;
}

/**
 * Applies defaults and rejects invalid values and combinations before any resource exists.
 * `label` turns an argument name (`ssh.port`) into the name the user wrote it under, so the
 * stack config reader can run the same checks and name its own keys.
 */
export function resolveIdleStopArgs(args: IdleStopArgs, label: (argName: string) => string = (argName) => argName): ResolvedArgs {
    const integer = (argName: string, value: number, range: RangedSetting): number =>
        checkInteger(label(argName), value, settingRanges[range].min, settingRanges[range].max);
    const adopted = args.instanceId !== undefined;
    if (adopted) {
        checkInstanceId(label("instanceId"), args.instanceId);
        if (args.instance !== undefined) {
            throw new InvalidSettingError(
                label("instance"),
                "(settings for a new instance)",
                "no instance settings when instanceId adopts an existing instance",
            );
        }
    }
    if (pulumi.Output.isInstance(args.ssh)) {
        // A caller in another language whose engine pushed a nested secret up to the whole object.
        throw new InvalidSettingError(label("ssh"), "(an Output)", "a plain object; only ssh.host and ssh.privateKey may be outputs or secrets");
    }
    if (args.ssh?.privateKey === undefined || args.ssh.privateKey === "") {
        throw new InvalidSettingError(
            label("ssh.privateKey"),
            undefined,
            "the private key that logs in to the instance (required to push the agent)",
        );
    }
    const credentials = checkOneOf(label("credentials"), args.credentials ?? (adopted ? "iam-user" : "instance-profile"), credentialsModes);
    if (adopted && credentials === "instance-profile") {
        throw new InvalidSettingError(
            label("credentials"),
            credentials,
            `"iam-user" for an adopted instance: attaching an instance profile would modify it, which idle-stop never does`,
        );
    }
    if (!adopted && args.instance?.keyName === undefined && args.instance?.sshPublicKey === undefined) {
        throw new InvalidSettingError(
            label("instance.keyName"),
            undefined,
            "an EC2 key pair name (or sshPublicKey) matching the SSH private key, so the push can log in to the new instance; or an instanceId to adopt an existing instance",
        );
    }
    if (args.instance?.nodeDistUrl !== undefined) {
        checkHttpsUrl(label("instance.nodeDistUrl"), args.instance.nodeDistUrl);
    }
    for (const cidr of args.instance?.sshIngressCidrs ?? []) {
        checkCidr(label("instance.sshIngressCidrs"), cidr);
    }
    const addressScheme =
        args.addressScheme === undefined
            ? adopted
                ? undefined
                : AddressScheme.Eip
            : checkOneOf(label("addressScheme"), args.addressScheme, addressSchemes);
    if (adopted && addressScheme === AddressScheme.Eip) {
        throw new InvalidSettingError(
            label("addressScheme"),
            addressScheme,
            `"private" or "ipv6" for an adopted instance (or sshHost): associating an Elastic IP would modify it, which idle-stop never does`,
        );
    }
    const action = checkOneOf(label("action"), args.action ?? idleStopDefaults.action, instanceActions);
    if (adopted && action === "terminate" && args.allowTerminateAdopted !== true) {
        throw new InvalidSettingError(
            label("action"),
            action,
            `"stop" for an adopted instance; terminating somebody's existing box loses its disks, so it needs allowTerminateAdopted: true`,
        );
    }
    const hibernationRootVolumeGb =
        action === "hibernate" && !adopted
            ? hibernationRootVolume(label, args.instance?.instanceType, args.instance?.rootVolumeGb, args.instance?.ami !== undefined)
            : undefined;
    return {
        addressScheme,
        hibernationRootVolumeGb,
        idleMinutes: integer("idleMinutes", args.idleMinutes ?? idleStopDefaults.idleMinutes, "idleMinutes"),
        sshUser: checkSshUser(label("ssh.user"), args.ssh.user ?? idleStopDefaults.sshUser),
        sshPort: integer("ssh.port", args.ssh.port ?? idleStopDefaults.sshPort, "sshPort"),
        sshHostKey: args.sshHostKey === undefined ? undefined : checkSshHostKey(label("sshHostKey"), args.sshHostKey),
        credentials,
        action,
        silentMinutes: integer("silentMinutes", args.silentMinutes ?? idleStopDefaults.silentMinutes, "silentMinutes"),
        warnMinutes: integer("warnMinutes", args.warnMinutes ?? idleStopDefaults.warnMinutes, "warnMinutes"),
        namespace: checkMetricName(label("namespace"), args.namespace ?? idleStopDefaults.namespace),
        metricName: checkMetricName(label("metricName"), args.metricName ?? idleStopDefaults.metricName),
        sampleSeconds: integer("sampleSeconds", args.sampleSeconds ?? idleStopDefaults.sampleSeconds, "sampleSeconds"),
        sessionIdleMinutes: integer("sessionIdleMinutes", args.sessionIdleMinutes ?? idleStopDefaults.sessionIdleMinutes, "sessionIdleMinutes"),
        busyCpuPercent: integer("busyCpuPercent", args.busyCpuPercent ?? idleStopDefaults.busyCpuPercent, "busyCpuPercent"),
        busyProcessPercent: integer("busyProcessPercent", args.busyProcessPercent ?? idleStopDefaults.busyProcessPercent, "busyProcessPercent"),
        busyGpuPercent: integer("busyGpuPercent", args.busyGpuPercent ?? idleStopDefaults.busyGpuPercent, "busyGpuPercent"),
        transferBytesPerMinute: integer(
            "transferBytesPerMinute",
            args.transferBytesPerMinute ?? idleStopDefaults.transferBytesPerMinute,
            "transferBytesPerMinute",
        ),
        nodeDistUrl: checkHttpsUrl(label("nodeDistUrl"), args.nodeDistUrl ?? idleStopDefaults.nodeDistUrl),
        clientAliveIntervalSeconds: integer(
            "clientAliveIntervalSeconds",
            args.clientAliveIntervalSeconds ?? idleStopDefaults.clientAliveIntervalSeconds,
            "clientAliveInterval",
        ),
        clientAliveCountMax: integer("clientAliveCountMax", args.clientAliveCountMax ?? idleStopDefaults.clientAliveCountMax, "clientAliveCountMax"),
        schedules: resolveSchedules(args, label),
    };
}
