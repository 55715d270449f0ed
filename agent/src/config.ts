// Agent configuration (SPEC section 5) with defaults and clear errors (exit 2).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, errorMessage, UsageError } from "../../common/errors";
import { INSTANCE_ID_PATTERN, REGION_ALLOWED, REGION_PATTERN } from "../../common/aws-ids";

export const DEFAULT_CONFIG_PATH = "/etc/idle-stop/agent.json";

export interface Config {
    /** EC2 instance id, the metric's InstanceId dimension (required for once/run). */
    instanceId?: string;
    /** AWS region (else AWS_REGION / AWS_DEFAULT_REGION). */
    region?: string;
    namespace: string;
    metricName: string;
    sampleSeconds: number;
    publishSeconds: number;
    stateDir: string;
    /** Keep-awake hold files; default <stateDir>/holds. */
    holdsDir: string;
    /** The idle alarm's name, shown by `status`. The agent never calls the alarm API (boot.ts re-arms by publishing). */
    alarmName?: string;
    /** Deprecated and ignored: accepted so configs written by older releases still load. */
    warningAlarmName?: string;
    /** The alarm's idle minutes, for `status` ("would stop at"). */
    idleMinutes?: number;
    /** Where /proc is (tests point it at synthetic trees). */
    procRoot: string;
    /** A session stops counting after this long without use; 0 = connected is enough. Default 3600. */
    sessionIdleSeconds: number;
    /** Client-to-server bytes per minute above which a no-terminal session is in use (keep-alives stay below). */
    trafficBytesPerMinute: number;
    /** Server-to-client bytes per minute above which a no-terminal session is in use (downloads); 0 = off. */
    downloadBytesPerMinute: number;
    /** Ports sshd listens on: whose sockets carry the sessions' traffic. Default [22]. */
    sshPorts: number[];
    /** Whole-machine CPU busy at or above this percent counts as one active session; 0 = off. */
    busyCpuPercent: number;
    /** Minutes before the expected stop at which every logged-in terminal is warned; 0 = no warning. */
    warnMinutes: number;
    /** Where the terminal devices are (tests point it at a directory of links). */
    devRoot: string;
    /** The file this came from, or null when defaults were used. */
    source: string | null;
}

export const CONFIG_KEYS = [
    "instanceId", "region", "namespace", "metricName", "sampleSeconds", "publishSeconds",
    "stateDir", "holdsDir", "alarmName", "warningAlarmName", "idleMinutes", "procRoot",
    "sessionIdleSeconds", "trafficBytesPerMinute", "downloadBytesPerMinute", "sshPorts", "busyCpuPercent", "warnMinutes", "devRoot",
] as const;

type Raw = Record<string, unknown>;

function fail(source: string, msg: string): never {
    throw new UsageError(`config ${source}: ${msg}`);
}

function str(raw: Raw, key: string, source: string, pattern?: RegExp, allowed?: string): string | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") fail(source, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
    if (pattern && !pattern.test(v)) fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: ${allowed}`);
    return v;
}

function int(raw: Raw, key: string, source: string, min: number, max: number): number | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: an integer ${min}..${max}`);
    }
    return v;
}

function ports(raw: Raw, key: string, source: string): number[] | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((p) => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535)) {
        fail(source, `"${key}" is ${JSON.stringify(v)}; allowed: a non-empty list of port numbers 1..65535`);
    }
    return v as number[];
}

/** Measured on loopback (README, "What counts as use"): keep-alives ~1.2 KB/min, light typing ~7 KB/min. */
export const DEFAULT_TRAFFIC_BYTES_PER_MINUTE = 3000;
/** 1 MiB/min (~17 KB/s): downloads count; output-only streams (top, tail -f) stay far below. */
export const DEFAULT_DOWNLOAD_BYTES_PER_MINUTE = 1048576;

export function parseConfig(raw: unknown, source: string): Config {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(source, "must be a JSON object");
    const r = raw as Raw;
    for (const k of Object.keys(r)) {
        if (k.startsWith("_") || k === "$schema") continue; // comments
        if (!(CONFIG_KEYS as readonly string[]).includes(k)) fail(source, `unknown key "${k}"; known keys: ${CONFIG_KEYS.join(", ")}`);
    }
    const instanceId = str(r, "instanceId", source, INSTANCE_ID_PATTERN, "i- followed by 8 or 17 hex digits");
    const region = str(r, "region", source, REGION_PATTERN, REGION_ALLOWED);
    const namespace = str(r, "namespace", source, /^[^:][\x20-\x7e]{0,254}$/, "1-255 printable ASCII characters, not starting with ':'") ?? "IdleStop";
    const metricName = str(r, "metricName", source, /^[\x20-\x7e]{1,255}$/, "1-255 printable ASCII characters") ?? "ActiveSessions";
    const sampleSeconds = int(r, "sampleSeconds", source, 1, 3600) ?? 10;
    const publishSeconds = int(r, "publishSeconds", source, 1, 3600) ?? 60;
    if (publishSeconds < sampleSeconds) fail(source, `"publishSeconds" (${publishSeconds}) must be >= "sampleSeconds" (${sampleSeconds})`);
    const absPath = /^\//;
    const stateDir = str(r, "stateDir", source, absPath, "an absolute path") ?? "/var/lib/idle-stop";
    const holdsDir = str(r, "holdsDir", source, absPath, "an absolute path") ?? join(stateDir, "holds");
    const alarmName = str(r, "alarmName", source, /^[\x20-\x7e]{1,255}$/, "1-255 printable ASCII characters");
    const warningAlarmName = str(r, "warningAlarmName", source, /^[\x20-\x7e]{1,255}$/, "1-255 printable ASCII characters");
    const idleMinutes = int(r, "idleMinutes", source, 1, 1440);
    const procRoot = str(r, "procRoot", source, absPath, "an absolute path") ?? "/proc";
    const sessionIdleSeconds = int(r, "sessionIdleSeconds", source, 0, 86400) ?? 3600;
    const trafficBytesPerMinute = int(r, "trafficBytesPerMinute", source, 1, 1_000_000_000) ?? DEFAULT_TRAFFIC_BYTES_PER_MINUTE;
    const downloadBytesPerMinute = int(r, "downloadBytesPerMinute", source, 0, 1_000_000_000) ?? DEFAULT_DOWNLOAD_BYTES_PER_MINUTE;
    const sshPorts = ports(r, "sshPorts", source) ?? [22];
    const busyCpuPercent = int(r, "busyCpuPercent", source, 0, 100) ?? 0;
    const warnMinutes = int(r, "warnMinutes", source, 0, 1439) ?? 0;
    const devRoot = str(r, "devRoot", source, absPath, "an absolute path") ?? "/dev";
    return {
        instanceId, region, namespace, metricName, sampleSeconds, publishSeconds, stateDir, holdsDir, alarmName, warningAlarmName, idleMinutes, procRoot,
        sessionIdleSeconds, trafficBytesPerMinute, downloadBytesPerMinute, sshPorts, busyCpuPercent, warnMinutes, devRoot, source,
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
