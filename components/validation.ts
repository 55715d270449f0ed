/**
 * Checks shared by the stack config reader (index.ts) and the IdleStop component. Each failure
 * names the key, the value it got and what is allowed, so a bad setting is fixed in one go.
 */

import { programAgentRanges } from "../common/agent-config";
import { DOWNLOAD_URL_ALLOWED, normalizeDownloadUrl } from "../common/download-url";
import { INSTANCE_ID_ALLOWED, INSTANCE_ID_PATTERN } from "../common/aws-ids";
import { NAMESPACE_PATTERN } from "../common/metric";
import { normalizeSshHostKey, SSH_HOST_KEY_ALLOWED } from "../common/ssh-host-key";
import { HOST_ALIAS_ALLOWED, HOST_ALIAS_PATTERN, SSH_HOST_ALLOWED, SSH_HOST_PATTERN, SSH_USER_ALLOWED, SSH_USER_PATTERN } from "../common/ssh-names";

export class InvalidSettingError extends Error {
    constructor(
        readonly key: string,
        readonly value: unknown,
        readonly allowed: string,
    ) {
        super(`${key}: ${describeValue(value)} is not allowed; expected ${allowed}`);
        this.name = "InvalidSettingError";
    }
}

function describeValue(value: unknown): string {
    if (value === undefined) return "no value";
    return JSON.stringify(value);
}

/**
 * Allowed ranges of the numeric settings, shared by the stack config reader and the component.
 * The settings passed on to the agent take their ranges from common/agent-config.ts (which says
 * where the program's differ from agent.json's).
 * idleMinutes: CloudWatch caps period x evaluationPeriods at one day for 60 s periods.
 * silentMinutes: at least one 5-minute EC2 basic-monitoring period.
 */
export const settingRanges = {
    idleMinutes: programAgentRanges.idleMinutes,
    silentMinutes: { min: 5, max: 1440 },
    warnMinutes: programAgentRanges.warnMinutes,
    sampleSeconds: programAgentRanges.sampleSeconds,
    sessionIdleMinutes: programAgentRanges.sessionIdleMinutes,
    busyCpuPercent: programAgentRanges.busyCpuPercent,
    busyProcessPercent: programAgentRanges.busyProcessPercent,
    busyGpuPercent: programAgentRanges.busyGpuPercent,
    transferBytesPerMinute: programAgentRanges.transferBytesPerMinute,
    sshPort: programAgentRanges.sshPort,
    clientAliveInterval: { min: 0, max: 3600 },
    clientAliveCountMax: { min: 1, max: 100 },
    rootVolumeGb: { min: 0, max: 16384 },
} as const;
export type RangedSetting = keyof typeof settingRanges;

export function checkInteger(key: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new InvalidSettingError(key, value, `a whole number from ${min} to ${max}`);
    }
    return value;
}

/** Parses a config string as an integer; "2.5", "abc" and "" are rejected, not rounded. */
export function parseInteger(key: string, raw: string, min: number, max: number): number {
    const trimmed = raw.trim();
    if (!/^-?\d+$/.test(trimmed)) {
        throw new InvalidSettingError(key, raw, `a whole number from ${min} to ${max}`);
    }
    const value = Number(trimmed);
    if (value < min || value > max) {
        throw new InvalidSettingError(key, raw, `a whole number from ${min} to ${max}`);
    }
    return value;
}

export function checkOneOf<T extends string>(key: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
        throw new InvalidSettingError(key, value, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    }
    return value as T;
}

/** EC2 ids are `i-` followed by 8 (older) or 17 hex digits. */
export function checkInstanceId(key: string, value: string): string {
    if (!INSTANCE_ID_PATTERN.test(value)) {
        throw new InvalidSettingError(key, value, INSTANCE_ID_ALLOWED);
    }
    return value;
}

/** The SSH login user (it goes into ssh_config and ssh command lines). */
export function checkSshUser(key: string, value: string): string {
    if (!SSH_USER_PATTERN.test(value)) {
        throw new InvalidSettingError(key, value, SSH_USER_ALLOWED);
    }
    return value;
}

/**
 * The box's SSH host key the agent push pins (docs/security.md, "Trust on first use / host keys").
 * Returns the "TYPE BASE64" form that pulumi-command's connection parses.
 */
export function checkSshHostKey(key: string, value: string): string {
    const normalized = normalizeSshHostKey(value);
    if (normalized === undefined) {
        throw new InvalidSettingError(key, value, SSH_HOST_KEY_ALLOWED);
    }
    return normalized;
}

/** Where SSH reaches the box: it goes to the stack's outputs, which the laptop command dials and checks the same way. */
export function checkSshHost(key: string, value: string): string {
    if (!SSH_HOST_PATTERN.test(value)) {
        throw new InvalidSettingError(key, value, SSH_HOST_ALLOWED);
    }
    return value;
}

/** A watched instance's name: part of URNs and AWS names, and its Host alias in ssh_config. */
export function checkHostAlias(key: string, value: string): string {
    if (!HOST_ALIAS_PATTERN.test(value)) {
        throw new InvalidSettingError(key, value, HOST_ALIAS_ALLOWED);
    }
    return value;
}

/** CloudWatch namespaces and metric names: 1-255 printable ASCII, no leading colon. */
export function checkMetricName(key: string, value: string): string {
    if (!NAMESPACE_PATTERN.test(value)) {
        throw new InvalidSettingError(key, value, "1 to 255 printable ASCII characters, not starting with ':'");
    }
    return value;
}

export function checkCidr(key: string, value: string): string {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    const valid = match !== null && match.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match[5]) <= 32;
    if (!valid) {
        throw new InvalidSettingError(key, value, `an IPv4 CIDR block such as "203.0.113.7/32"`);
    }
    return value;
}

/**
 * A download base URL the box fetches code from: https only (the checksum file comes from the
 * same server, so plain http would let anyone on the path swap both), except http on the box's
 * own loopback (a local mirror; the traffic never leaves the machine). The rule, and why it
 * refuses userinfo, '@' and '\': common/download-url.ts. Returns the normalized URL.
 */
export function checkHttpsUrl(key: string, value: string): string {
    const normalized = normalizeDownloadUrl(value);
    if (normalized === undefined) {
        throw new InvalidSettingError(key, value, DOWNLOAD_URL_ALLOWED);
    }
    return normalized;
}

export function checkEmail(key: string, value: string): string {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        throw new InvalidSettingError(key, value, "an email address such as dev@example.com");
    }
    return value;
}

export function parseBoolean(key: string, raw: string): boolean {
    if (raw === "true" || raw === "false") return raw === "true";
    throw new InvalidSettingError(key, raw, "true or false");
}
