/**
 * Reads the `idle-stop:*` stack config (SPEC.md section 2) into IdleStop arguments, rejecting bad
 * values before any resource is declared. Values are read as raw strings and parsed here, so every
 * message has one shape: `idle-stop:KEY: VALUE is not allowed; expected WHAT`.
 *
 * Pulumi.yaml declares the same keys with types and defaults for the CLI; defaults are applied here
 * too because Pulumi's mock runtime (the tests) does not apply Pulumi.yaml defaults.
 */
import * as pulumi from "@pulumi/pulumi";
import { credentialsModes } from "./agent-identity";
import { IdleStopArgs, idleStopDefaults } from "./idle-stop";
import {
    checkCidr, checkEmail, checkHttpUrl, checkInstanceId, checkMetricName, checkOneOf, idleMinutesRange,
    InvalidSettingError, parseBoolean, parseInteger,
} from "./validation";

export const configNamespace = "idle-stop";

/** One watched instance as the program builds it: a resource name and the component's args. */
export interface WatchedInstanceSettings {
    readonly name: string;
    readonly args: IdleStopArgs;
}

export interface StackSettings {
    readonly instances: WatchedInstanceSettings[];
    /** Who hears warnings, stops and silent agents; empty means no SNS resources at all. */
    readonly notifyEmails: string[];
}

/** The subset of pulumi.Config the reader needs; a plain map works in unit tests. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getSecret(key: string): pulumi.Output<string> | undefined;
}

function label(key: string): string {
    return `${configNamespace}:${key}`;
}

function optionalInteger(source: ConfigSource, key: string, min: number, max: number): number | undefined {
    const raw = source.get(key);
    return raw === undefined ? undefined : parseInteger(label(key), raw, min, max);
}

/**
 * Optional string keys are declared in Pulumi.yaml with the default "" (a declared key without a
 * default would be required), so the empty string means "not set".
 */
function optionalString(source: ConfigSource, key: string): string | undefined {
    const raw = source.get(key);
    return raw === undefined || raw.trim() === "" ? undefined : raw;
}

function optionalStringList(source: ConfigSource, key: string): string[] | undefined {
    const raw = source.get(key);
    if (raw === undefined) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
        throw new InvalidSettingError(label(key), raw, "a list of strings");
    }
    return parsed as string[];
}

/** Resource names become part of URNs and AWS names: keep them short and DNS-like. */
export function checkResourceName(key: string, value: string): string {
    if (!/^[a-z][a-z0-9-]{0,29}$/.test(value) || value.endsWith("-")) {
        throw new InvalidSettingError(key, value, "1-30 lowercase letters, digits and '-', starting with a letter, not ending with '-'");
    }
    return value;
}

export function readStackConfig(source: ConfigSource): StackSettings {
    const instanceId = optionalString(source, "instanceId");
    if (instanceId !== undefined) checkInstanceId(label("instanceId"), instanceId);

    const privateKey = source.getSecret("sshPrivateKey");
    if (privateKey === undefined) {
        throw new InvalidSettingError(label("sshPrivateKey"), undefined,
            "the SSH private key that logs in to the instance, set as a secret: `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`");
    }

    const credentials = optionalString(source, "credentials");
    if (credentials !== undefined) checkOneOf(label("credentials"), credentials, credentialsModes);

    const namespace = optionalString(source, "namespace");
    if (namespace !== undefined) checkMetricName(label("namespace"), namespace);
    const metricName = optionalString(source, "metricName");
    if (metricName !== undefined) checkMetricName(label("metricName"), metricName);
    const nodeDistUrl = optionalString(source, "nodeDistUrl");

    const sshIngressCidrs = optionalStringList(source, "sshIngressCidrs");
    sshIngressCidrs?.forEach((cidr) => checkCidr(label("sshIngressCidrs"), cidr));

    // Keys that only make sense for a new instance and have no default (instanceType and the
    // like have defaults in Pulumi.yaml, so their presence says nothing and they are ignored).
    const creationKeys = ["ami", "keyName", "sshPublicKey", "subnetId"];
    const presentCreationKeys = creationKeys.filter((key) => optionalString(source, key) !== undefined);
    if (instanceId !== undefined && presentCreationKeys.length > 0) {
        throw new InvalidSettingError(label(presentCreationKeys[0]), source.get(presentCreationKeys[0]),
            `no value: ${label("instanceId")} adopts an existing instance, which idle-stop never modifies, so settings for a new instance do not apply`);
    }
    if (instanceId === undefined && optionalString(source, "keyName") === undefined && optionalString(source, "sshPublicKey") === undefined) {
        throw new InvalidSettingError(label("keyName"), undefined,
            `an EC2 key pair name (or ${label("sshPublicKey")}) matching ${label("sshPrivateKey")}, so Pulumi can log in to the instance it creates; or set ${label("instanceId")} to adopt an existing instance`);
    }

    const action = optionalString(source, "action");
    if (action !== undefined) checkOneOf(label("action"), action, ["stop", "terminate"]);
    const allowTerminate = optionalString(source, "allowTerminateAdopted");
    const allowTerminateAdopted = allowTerminate === undefined ? false : parseBoolean(label("allowTerminateAdopted"), allowTerminate);
    if (instanceId !== undefined && action === "terminate" && !allowTerminateAdopted) {
        throw new InvalidSettingError(label("action"), action,
            `"stop" when ${label("instanceId")} adopts an existing instance: terminating somebody's box loses its disks; set ${label("allowTerminateAdopted")} to true if that is really meant`);
    }
    const notifyEmails = (optionalString(source, "notifyEmail") ?? "").split(",").map((e) => e.trim()).filter((e) => e !== "");
    notifyEmails.forEach((email) => checkEmail(label("notifyEmail"), email));

    const name = checkResourceName(label("name"), optionalString(source, "name") ?? "devbox");
    const args: IdleStopArgs = {
        instanceId,
        instance: instanceId === undefined ? {
            instanceType: optionalString(source, "instanceType"),
            ami: optionalString(source, "ami"),
            keyName: optionalString(source, "keyName"),
            sshPublicKey: optionalString(source, "sshPublicKey"),
            subnetId: optionalString(source, "subnetId"),
            sshIngressCidrs,
            rootVolumeGb: optionalInteger(source, "rootVolumeGb", 0, 16384) || undefined,
            nodeDistUrl: nodeDistUrl === undefined ? undefined : checkHttpUrl(label("nodeDistUrl"), nodeDistUrl),
        } : undefined,
        idleMinutes: optionalInteger(source, "idleMinutes", idleMinutesRange.min, idleMinutesRange.max) ?? idleStopDefaults.idleMinutes,
        ssh: {
            host: optionalString(source, "sshHost"),
            user: optionalString(source, "sshUser"),
            port: optionalInteger(source, "sshPort", 1, 65535),
            privateKey,
        },
        credentials: credentials as IdleStopArgs["credentials"],
        namespace,
        metricName,
        sampleSeconds: optionalInteger(source, "sampleSeconds", 1, 60),
        nodeDistUrl: nodeDistUrl === undefined ? undefined : checkHttpUrl(label("nodeDistUrl"), nodeDistUrl),
        clientAliveIntervalSeconds: optionalInteger(source, "clientAliveInterval", 0, 3600),
        clientAliveCountMax: optionalInteger(source, "clientAliveCountMax", 1, 100),
        action: action as IdleStopArgs["action"],
        allowTerminateAdopted,
        silentMinutes: optionalInteger(source, "silentMinutes", 5, 1440),
        warnMinutes: optionalInteger(source, "warnMinutes", 0, 1439),
    };
    if (args.credentials === "instance-profile" && instanceId !== undefined) {
        throw new InvalidSettingError(label("credentials"), "instance-profile",
            `"iam-user" when ${label("instanceId")} adopts an instance: attaching an instance profile would modify it, which idle-stop never does`);
    }
    return { instances: [{ name, args }], notifyEmails };
}
