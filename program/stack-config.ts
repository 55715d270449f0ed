/**
 * Reads the `idle-stop:*` stack config (docs/reference/configuration.md) into IdleStop arguments, rejecting bad
 * values before any resource is declared. Values are read as raw strings and parsed here, so every
 * message has one shape: `KEY: VALUE is not allowed; expected WHAT`, where KEY is the config key
 * (`idle-stop:idleMinutes`) or the fleet entry's field (`idle-stop:instances[1] "web".idleMinutes`).
 *
 * Two forms, one model: the single-instance keys describe one watched instance; the `instances`
 * list describes a fleet whose entries inherit those same keys as defaults and override them.
 *
 * Pulumi.yaml declares the keys with types and defaults for the CLI; defaults are applied here too
 * because Pulumi's mock runtime (the tests) does not apply Pulumi.yaml defaults.
 */
import * as pulumi from "@pulumi/pulumi";
import { REGION_ALLOWED, REGION_PATTERN } from "../common/aws-ids";
import { credentialsModes } from "../components/agent-identity";
import { IdleStopArgs, idleStopDefaults, InstanceAction, resolveIdleStopArgs } from "../components/idle-stop";
import { addressSchemes } from "../components/watched-instance";
import { readSchedules } from "./schedule-config";
import { checkEmail, checkHostAlias, checkHttpsUrl, InvalidSettingError, parseBoolean } from "../components/validation";
import {
    ConfigSource,
    entryKeys,
    entryReader,
    FieldReader,
    stackKeyLabel,
    optionalChoice,
    optionalInteger,
    optionalSshHost,
    optionalStringList,
    topLevelReader,
} from "./config-fields";

export { ConfigSource, configNamespace } from "./config-fields";

/** One watched instance as the program builds it: a resource name and the component's args. */
interface WatchedInstanceSettings {
    readonly name: string;
    /** The entry's own region; undefined means the stack's (`aws:region`). */
    readonly region?: string;
    readonly args: IdleStopArgs;
}

export interface StackSettings {
    readonly instances: WatchedInstanceSettings[];
    /** Who hears warnings, stops and silent agents; empty means no SNS resources at all. */
    readonly notifyEmails: string[];
    /** Whether to build the stack's CloudWatch dashboard. */
    readonly dashboard: boolean;
}

/** IdleStopArgs field names whose config key is spelled differently. */
const configKeyOfArg: Record<string, string> = {
    "ssh.user": "sshUser",
    "ssh.port": "sshPort",
    "ssh.privateKey": "sshPrivateKey",
    clientAliveIntervalSeconds: "clientAliveInterval",
    "instance.keyName": "keyName",
    "instance.sshIngressCidrs": "sshIngressCidrs",
    "instance.instanceType": "instanceType",
    "instance.rootVolumeGb": "rootVolumeGb",
};
const instanceActions = Object.values(InstanceAction);

function readPrivateKey(source: ConfigSource, fields: FieldReader, isFleetEntry: boolean): pulumi.Output<string> {
    const keyConfig = isFleetEntry ? fields.get("sshPrivateKeyConfig") : undefined;
    if (keyConfig !== undefined) {
        const key = source.getSecret(keyConfig);
        if (key === undefined) {
            throw new InvalidSettingError(
                fields.label("sshPrivateKeyConfig"),
                keyConfig,
                `the name of a secret config key holding this entry's private key: \`pulumi config set --secret ${keyConfig} < key\``,
            );
        }
        return key;
    }
    const key = source.getSecret("sshPrivateKey");
    if (key === undefined) {
        throw new InvalidSettingError(
            stackKeyLabel("sshPrivateKey"),
            undefined,
            "the SSH private key that logs in to the instance, set as a secret: `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
        );
    }
    return key;
}

/** Reads one watched instance's settings from the stack-wide keys or a fleet entry. */
function readWatchedInstance(source: ConfigSource, fields: FieldReader, isFleetEntry: boolean): IdleStopArgs {
    const instanceId = fields.get("instanceId");
    const adopted = instanceId !== undefined;

    // Parsing only: value ranges are checked while parsing, combinations (adopted + profile,
    // adopted + terminate, a created instance without a key pair) by resolveIdleStopArgs below.
    const credentials = optionalChoice(fields, "credentials", credentialsModes);
    const addressScheme = optionalChoice(fields, "addressScheme", addressSchemes);
    const action = optionalChoice(fields, "action", instanceActions);
    const allowTerminateRaw = fields.get("allowTerminateAdopted");
    const allowTerminateAdopted = allowTerminateRaw === undefined ? false : parseBoolean(fields.label("allowTerminateAdopted"), allowTerminateRaw);
    const nodeDistUrlRaw = fields.get("nodeDistUrl");
    const nodeDistUrl = nodeDistUrlRaw === undefined ? undefined : checkHttpsUrl(fields.label("nodeDistUrl"), nodeDistUrlRaw);

    // Keys that only make sense for a new instance and have no default. (instanceType and the like
    // have defaults in Pulumi.yaml, so their presence says nothing; they are ignored when adopting.)
    const creationKeys = ["ami", "keyName", "sshPublicKey", "subnetId"];
    const ownCreationKey = creationKeys.find((key) => fields.ownsKey(key));
    if (adopted && ownCreationKey !== undefined) {
        throw new InvalidSettingError(
            fields.label(ownCreationKey),
            fields.get(ownCreationKey),
            `no value: ${fields.label("instanceId")} adopts an existing instance, which idle-stop never modifies, so settings for a new instance do not apply`,
        );
    }

    const args: IdleStopArgs = {
        instanceId,
        addressScheme,
        instance: adopted
            ? undefined
            : {
                  instanceType: fields.get("instanceType"),
                  ami: fields.get("ami"),
                  keyName: fields.get("keyName"),
                  sshPublicKey: fields.get("sshPublicKey"),
                  subnetId: fields.get("subnetId"),
                  sshIngressCidrs: optionalStringList(fields, "sshIngressCidrs"),
                  rootVolumeGb: optionalInteger(fields, "rootVolumeGb") || undefined,
                  nodeDistUrl,
              },
        idleMinutes: optionalInteger(fields, "idleMinutes") ?? idleStopDefaults.idleMinutes,
        ssh: {
            host: optionalSshHost(fields),
            user: fields.get("sshUser"),
            port: optionalInteger(fields, "sshPort"),
            privateKey: readPrivateKey(source, fields, isFleetEntry),
        },
        sshHostKey: fields.get("sshHostKey"),
        credentials,
        action,
        allowTerminateAdopted,
        silentMinutes: optionalInteger(fields, "silentMinutes"),
        warnMinutes: optionalInteger(fields, "warnMinutes"),
        namespace: fields.get("namespace"),
        metricName: fields.get("metricName"),
        sampleSeconds: optionalInteger(fields, "sampleSeconds"),
        sessionIdleMinutes: optionalInteger(fields, "sessionIdleMinutes"),
        busyCpuPercent: optionalInteger(fields, "busyCpuPercent"),
        busyProcessPercent: optionalInteger(fields, "busyProcessPercent"),
        busyGpuPercent: optionalInteger(fields, "busyGpuPercent"),
        transferBytesPerMinute: optionalInteger(fields, "transferBytesPerMinute"),
        nodeDistUrl,
        clientAliveIntervalSeconds: optionalInteger(fields, "clientAliveInterval"),
        clientAliveCountMax: optionalInteger(fields, "clientAliveCountMax"),
        ...readSchedules(fields),
        tags: { "idle-stop:stack": pulumi.getStack() },
    };
    resolveIdleStopArgs(args, (argName) => fields.label(configKeyOfArg[argName] ?? argName));
    return args;
}

/** An entry's `region`: the stack's own when unset; one provider per distinct region (index.ts). */
function optionalRegion(fields: FieldReader): string | undefined {
    const raw = fields.get("region");
    if (raw !== undefined && !REGION_PATTERN.test(raw)) {
        throw new InvalidSettingError(fields.label("region"), raw, REGION_ALLOWED);
    }
    return raw;
}

function readFleet(source: ConfigSource, raw: string, stackWide: FieldReader): WatchedInstanceSettings[] {
    let entries: unknown;
    try {
        entries = JSON.parse(raw);
    } catch {
        entries = undefined;
    }
    if (!Array.isArray(entries) || entries.length === 0) {
        throw new InvalidSettingError(stackKeyLabel("instances"), raw, "a non-empty list of entries, each an object with at least a name");
    }
    if (stackWide.get("instanceId") !== undefined) {
        throw new InvalidSettingError(
            stackKeyLabel("instanceId"),
            stackWide.get("instanceId"),
            `no value when ${stackKeyLabel("instances")} lists the fleet; give each entry its own instanceId`,
        );
    }
    const seen = new Map<string, number>();
    return entries.map((entry: unknown, index: number) => {
        const at = `${stackKeyLabel("instances")}[${index}]`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            throw new InvalidSettingError(at, entry, 'an object such as {"name": "alice", "instanceId": "i-..."}');
        }
        const fields = entry as Record<string, unknown>;
        if (typeof fields.name !== "string") {
            throw new InvalidSettingError(`${at}.name`, fields.name, "a name for the entry (it names its resources)");
        }
        const name = checkHostAlias(`${at}.name`, fields.name);
        const unknown = Object.keys(fields).find((key) => !entryKeys.includes(key));
        if (unknown !== undefined) {
            throw new InvalidSettingError(`${at} "${name}".${unknown}`, fields[unknown], `one of the entry keys: ${entryKeys.join(", ")}`);
        }
        const first = seen.get(name);
        if (first !== undefined) {
            throw new InvalidSettingError(
                `${at}.name`,
                name,
                `a name not already used by ${stackKeyLabel("instances")}[${first}]: names become resource names and must be unique`,
            );
        }
        seen.set(name, index);
        const reader = entryReader(fields, index, name, stackWide);
        return { name, region: optionalRegion(reader), args: readWatchedInstance(source, reader, true) };
    });
}

export function readStackConfig(source: ConfigSource): StackSettings {
    const stackWide = topLevelReader(source);
    const fleet = stackWide.get("instances");
    const instances =
        fleet !== undefined
            ? readFleet(source, fleet, stackWide)
            : [
                  (() => {
                      const name = checkHostAlias(stackKeyLabel("name"), stackWide.get("name") ?? "devbox");
                      return { name, args: readWatchedInstance(source, stackWide, false) };
                  })(),
              ];

    const notifyEmails = (stackWide.get("notifyEmail") ?? "")
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== "");
    notifyEmails.forEach((email) => checkEmail(stackKeyLabel("notifyEmail"), email));
    const dashboardRaw = stackWide.get("dashboard");
    const dashboard = dashboardRaw === undefined ? true : parseBoolean(stackKeyLabel("dashboard"), dashboardRaw);
    return { instances, notifyEmails, dashboard };
}
