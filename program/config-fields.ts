// Reads one watched instance's config keys, from the stack or a fleet entry (which inherits the stack's), naming each key as the user wrote it (docs/reference/configuration.md).
import * as pulumi from "@pulumi/pulumi";
import { checkOneOf, checkSshHost, InvalidSettingError, parseInteger, RangedSetting, settingRanges } from "../components/validation";
import { scheduleKeys } from "./schedule-config";

export const configNamespace = "idle-stop";

/** The subset of pulumi.Config the reader needs; a plain map works in unit tests. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getSecret(key: string): pulumi.Output<string> | undefined;
}

/** Where one watched instance's settings come from, and how to name them in messages. */
export interface FieldReader {
    /** The raw value, or undefined when unset ("" counts as unset: Pulumi.yaml's "no value" default). */
    get(key: string): string | undefined;
    /** Whether the entry itself sets the key (not inherited from the stack-wide keys). */
    ownsKey(key: string): boolean;
    label(key: string): string;
}

/** A stack key as messages name it: `idle-stop:idleMinutes`. */
export function stackKeyLabel(key: string): string {
    return `${configNamespace}:${key}`;
}

/**
 * Optional string keys are declared in Pulumi.yaml with the default "" (a declared key without a
 * default would be required), so the empty string means "not set".
 */
function blankToUndefined(raw: string | undefined): string | undefined {
    return raw === undefined || raw.trim() === "" ? undefined : raw;
}

export const topLevelReader = (source: ConfigSource): FieldReader => ({
    get: (key) => blankToUndefined(source.get(key)),
    ownsKey: (key) => blankToUndefined(source.get(key)) !== undefined,
    label: stackKeyLabel,
});

/** Keys a fleet entry may set; all but `name`, `region`, `instanceId`, `sshHost` and `sshHostKey` fall back to the stack-wide key. */
export const entryKeys = [
    "name",
    "region",
    "instanceId",
    "sshHost",
    "sshHostKey",
    "addressScheme",
    "sshUser",
    "sshPort",
    "sshPrivateKeyConfig",
    "credentials",
    "idleMinutes",
    "action",
    "allowTerminateAdopted",
    "silentMinutes",
    "warnMinutes",
    "namespace",
    "metricName",
    "sampleSeconds",
    "nodeDistUrl",
    "clientAliveInterval",
    "clientAliveCountMax",
    "instanceType",
    "ami",
    "keyName",
    "sshPublicKey",
    "sshIngressCidrs",
    "subnetId",
    "rootVolumeGb",
    "sessionIdleMinutes",
    "busyCpuPercent",
    "busyProcessPercent",
    "busyGpuPercent",
    "transferBytesPerMinute",
    ...scheduleKeys,
];
const perEntryOnlyKeys = new Set(["name", "region", "instanceId", "sshHost", "sshHostKey", "sshPrivateKeyConfig"]);

export function entryReader(entry: Record<string, unknown>, index: number, name: string, stackWide: FieldReader): FieldReader {
    const entryLabel = `${stackKeyLabel("instances")}[${index}] "${name}"`;
    const own = (key: string): string | undefined => {
        const value = entry[key];
        if (value === undefined || value === null) return undefined;
        return blankToUndefined(typeof value === "string" ? value : JSON.stringify(value));
    };
    return {
        get: (key) => own(key) ?? (perEntryOnlyKeys.has(key) ? undefined : stackWide.get(key)),
        ownsKey: (key) => own(key) !== undefined,
        label: (key) => (own(key) !== undefined || perEntryOnlyKeys.has(key) ? `${entryLabel}.${key}` : stackWide.label(key)),
    };
}

export function optionalInteger(fields: FieldReader, key: RangedSetting): number | undefined {
    const raw = fields.get(key);
    return raw === undefined ? undefined : parseInteger(fields.label(key), raw, settingRanges[key].min, settingRanges[key].max);
}

export function optionalSshHost(fields: FieldReader): string | undefined {
    const raw = fields.get("sshHost");
    return raw === undefined ? undefined : checkSshHost(fields.label("sshHost"), raw);
}

export function optionalChoice<T extends string>(fields: FieldReader, key: string, allowed: readonly T[]): T | undefined {
    const raw = fields.get(key);
    return raw === undefined ? undefined : checkOneOf(fields.label(key), raw, allowed);
}

export function optionalStringList(fields: FieldReader, key: string): string[] | undefined {
    const raw = fields.get(key);
    if (raw === undefined) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
        throw new InvalidSettingError(fields.label(key), raw, "a list of strings");
    }
    return parsed;
}
