// Loads and checks agent.json (keys, defaults, ranges: common/agent-config.ts; reference: docs/reference/agent.md); bad values exit 2.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, errorMessage, UsageError } from "../../common/errors";
import { AGENT_CONFIG_KEYS, AgentConfigFile, agentConfigDefaults, agentConfigRanges } from "../../common/agent-config";
import { isTimeZone, parseSchedule, SCHEDULE_ALLOWED, TIME_ZONE_ALLOWED } from "../../common/schedule";
import { INSTANCE_ID_PATTERN, REGION_ALLOWED, REGION_PATTERN } from "../../common/aws-ids";
import { METRIC_NAME_ALLOWED, METRIC_NAME_PATTERN, NAMESPACE_ALLOWED, NAMESPACE_PATTERN } from "../../common/metric";

export const DEFAULT_CONFIG_PATH = "/etc/idle-stop/agent.json";

/** Keys that may be absent once parsed: the rest always have a value (agentConfigDefaults). */
type OptionalKey = "instanceId" | "region" | "alarmName" | "warningAlarmName" | "idleMinutes" | "stopAt" | "startAt";

/** agent.json parsed: every key of common/agent-config.ts, defaults applied. */
export interface Config extends Pick<AgentConfigFile, OptionalKey>, Required<Omit<AgentConfigFile, OptionalKey>> {
    /** The file this came from, or null when defaults were used. */
    source: string | null;
}

type Raw = Record<string, unknown>;
type RangedKey = keyof typeof agentConfigRanges;

function fail(source: string, msg: string): never {
    throw new UsageError(`config ${source}: ${msg}`);
}

function str(raw: Raw, key: keyof AgentConfigFile, source: string, pattern?: RegExp, allowed?: string): string | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") fail(source, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
    if (pattern && !pattern.test(v)) fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: ${allowed}`);
    return v;
}

function int(raw: Raw, key: RangedKey, source: string): number | undefined {
    const { min, max } = agentConfigRanges[key];
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: an integer ${min}..${max}`);
    }
    return v;
}

function ports(raw: Raw, key: "sshPorts", source: string): number[] | undefined {
    const { min, max } = agentConfigRanges[key];
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((p) => typeof p === "number" && Number.isInteger(p) && p >= min && p <= max)) {
        fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: a non-empty list of port numbers ${min}..${max}`);
    }
    return v as number[];
}

const PRINTABLE_NAME = /^[\x20-\x7e]{1,255}$/;
const PRINTABLE_NAME_ALLOWED = "1-255 printable ASCII characters";

export function parseConfig(raw: unknown, source: string): Config {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(source, "must be a JSON object");
    const r = raw as Raw;
    for (const k of Object.keys(r)) {
        if (k.startsWith("_") || k === "$schema") continue; // comments
        if (!(AGENT_CONFIG_KEYS as readonly string[]).includes(k)) fail(source, `unknown key "${k}"; known keys: ${AGENT_CONFIG_KEYS.join(", ")}`);
    }
    const d = agentConfigDefaults;
    // The rule is the shared one; the message keeps the agent's wording (the program words it for stack config).
    const instanceId = str(r, "instanceId", source, INSTANCE_ID_PATTERN, "i- followed by 8 or 17 hex digits");
    const region = str(r, "region", source, REGION_PATTERN, REGION_ALLOWED);
    const namespace = str(r, "namespace", source, NAMESPACE_PATTERN, NAMESPACE_ALLOWED) ?? d.namespace;
    const metricName = str(r, "metricName", source, METRIC_NAME_PATTERN, METRIC_NAME_ALLOWED) ?? d.metricName;
    const sampleSeconds = int(r, "sampleSeconds", source) ?? d.sampleSeconds;
    const publishSeconds = int(r, "publishSeconds", source) ?? d.publishSeconds;
    if (publishSeconds < sampleSeconds) fail(source, `"publishSeconds" (${publishSeconds}) must be >= "sampleSeconds" (${sampleSeconds})`);
    const absPath = /^\//;
    const stateDir = str(r, "stateDir", source, absPath, "an absolute path") ?? d.stateDir;
    const holdsDir = str(r, "holdsDir", source, absPath, "an absolute path") ?? join(stateDir, "holds");
    const alarmName = str(r, "alarmName", source, PRINTABLE_NAME, PRINTABLE_NAME_ALLOWED);
    const warningAlarmName = str(r, "warningAlarmName", source, PRINTABLE_NAME, PRINTABLE_NAME_ALLOWED);
    const idleMinutes = int(r, "idleMinutes", source);
    const procRoot = str(r, "procRoot", source, absPath, "an absolute path") ?? d.procRoot;
    const sessionIdleSeconds = int(r, "sessionIdleSeconds", source) ?? d.sessionIdleSeconds;
    const trafficBytesPerMinute = int(r, "trafficBytesPerMinute", source) ?? d.trafficBytesPerMinute;
    const downloadBytesPerMinute = int(r, "downloadBytesPerMinute", source) ?? d.downloadBytesPerMinute;
    const sshPorts = ports(r, "sshPorts", source) ?? [...d.sshPorts];
    const busyCpuPercent = int(r, "busyCpuPercent", source) ?? d.busyCpuPercent;
    const busyProcessPercent = int(r, "busyProcessPercent", source) ?? d.busyProcessPercent;
    const busyGpuPercent = int(r, "busyGpuPercent", source) ?? d.busyGpuPercent;
    const transferBytesPerMinute = int(r, "transferBytesPerMinute", source) ?? d.transferBytesPerMinute;
    const loginGraceSeconds = int(r, "loginGraceSeconds", source) ?? d.loginGraceSeconds;
    const warnMinutes = int(r, "warnMinutes", source) ?? d.warnMinutes;
    const devRoot = str(r, "devRoot", source, absPath, "an absolute path") ?? d.devRoot;
    const schedule = (key: "stopAt" | "startAt") => {
        const v = str(r, key, source);
        if (v !== undefined && parseSchedule(v) === undefined) fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: ${SCHEDULE_ALLOWED}`);
        return v;
    };
    const [stopAt, startAt] = [schedule("stopAt"), schedule("startAt")];
    const timezone = str(r, "timezone", source) ?? d.timezone;
    if (!isTimeZone(timezone)) fail(source, `"timezone" is ${JSON.stringify(timezone)}; allowed: ${TIME_ZONE_ALLOWED}`);
    return {
        instanceId,
        region,
        namespace,
        metricName,
        sampleSeconds,
        publishSeconds,
        stateDir,
        holdsDir,
        alarmName,
        warningAlarmName,
        idleMinutes,
        procRoot,
        sessionIdleSeconds,
        trafficBytesPerMinute,
        downloadBytesPerMinute,
        sshPorts,
        busyCpuPercent,
        busyProcessPercent,
        busyGpuPercent,
        transferBytesPerMinute,
        loginGraceSeconds,
        warnMinutes,
        devRoot,
        stopAt,
        startAt,
        timezone,
        source,
    };
}

/**
 * Loads the config file. When `explicit` is false and the default file does not exist, the
 * defaults are used (commands that need more, such as once/run, check with requirePublishing).
 */
export function loadConfig(path: string, explicit: boolean): Config {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        if (!explicit && errnoCode(e) === "ENOENT") return parseConfig({}, "(defaults)");
        throw new UsageError(`cannot read config ${path}: ${errorMessage(e)}`);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new UsageError(`config ${path}: not valid JSON: ${errorMessage(e)}`);
    }
    const c = parseConfig(raw, path);
    c.source = path;
    return c;
}

export interface PublishConfig extends Config {
    instanceId: string;
}

/** once/run need an instance id and a region. */
export function requirePublishing(c: Config): PublishConfig {
    const where = c.source ?? DEFAULT_CONFIG_PATH;
    if (c.instanceId === undefined) throw new UsageError(`config ${where}: "instanceId" is required to publish`);
    if (c.region === undefined && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION) {
        throw new UsageError(`config ${where}: "region" is required to publish (or set AWS_REGION)`);
    }
    return c as PublishConfig;
}
