// agent.json, the agent's config file: its keys, defaults and ranges, written by the program and read by the agent. Reference: docs/reference/agent.md
import { ACTIVE_SESSIONS_METRIC, DEFAULT_NAMESPACE } from "./metric";

/** agent.json as a file: every key the agent reads. Each may be left out; agentConfigDefaults fills the gaps. */
export interface AgentConfigFile {
    /** EC2 instance id, the metric's InstanceId dimension (required for once/run). */
    instanceId?: string;
    /** AWS region (else AWS_REGION / AWS_DEFAULT_REGION). */
    region?: string;
    namespace?: string;
    metricName?: string;
    sampleSeconds?: number;
    publishSeconds?: number;
    stateDir?: string;
    /** Keep-awake hold files; default <stateDir>/holds. */
    holdsDir?: string;
    /** The idle alarm's name, shown by `status`. The agent never calls the alarm API (it re-arms the alarm by publishing). */
    alarmName?: string;
    /** Deprecated and ignored: accepted so configs written by older releases still load. */
    warningAlarmName?: string;
    /** The alarm's idle minutes, for `status` ("would stop at"). */
    idleMinutes?: number;
    /** Where /proc is (tests point it at synthetic trees). */
    procRoot?: string;
    /** A session stops counting after this long without use; 0 = connected is enough. */
    sessionIdleSeconds?: number;
    /** Client-to-server bytes per minute above which a no-terminal session is in use (keep-alives stay below). */
    trafficBytesPerMinute?: number;
    /** Server-to-client bytes per minute above which a no-terminal session is in use (downloads); 0 = off. */
    downloadBytesPerMinute?: number;
    /** Ports sshd listens on: whose sockets carry the sessions' traffic. */
    sshPorts?: number[];
    /** Whole-machine CPU busy at or above this percent counts as one active session; 0 = off. */
    busyCpuPercent?: number;
    /** A process of a person's work using at least this percent of ONE core over the window is use; 0 = off. */
    busyProcessPercent?: number;
    /** Any NVIDIA GPU at or above this utilization percent (nvidia-smi) is use; 0 = off. */
    busyGpuPercent?: number;
    /** Non-SSH network traffic (both ways) at or above this many bytes per minute is use; 0 = off. */
    transferBytesPerMinute?: number;
    /** sshd's LoginGraceTime in seconds (the installer records `sshd -T`): younger sockets may be unauthenticated. */
    loginGraceSeconds?: number;
    /** Minutes before the expected stop at which every logged-in terminal is warned; 0 = no warning. */
    warnMinutes?: number;
    /** Where the terminal devices are (tests point it at a directory of links). */
    devRoot?: string;
    /** The box's fixed stop time (common/schedule.ts grammar): terminals are warned warnMinutes before, `status` shows the next. */
    stopAt?: string;
    /** The box's fixed start time, for `status`. */
    startAt?: string;
    /** IANA time zone of stopAt and startAt. */
    timezone?: string;
}

/** Every key, in the order messages list them; typed so that a key added to AgentConfigFile must be added here. */
const keyList: Record<keyof AgentConfigFile, true> = {
    instanceId: true,
    region: true,
    namespace: true,
    metricName: true,
    sampleSeconds: true,
    publishSeconds: true,
    stateDir: true,
    holdsDir: true,
    alarmName: true,
    warningAlarmName: true,
    idleMinutes: true,
    procRoot: true,
    sessionIdleSeconds: true,
    trafficBytesPerMinute: true,
    downloadBytesPerMinute: true,
    sshPorts: true,
    busyCpuPercent: true,
    busyProcessPercent: true,
    busyGpuPercent: true,
    transferBytesPerMinute: true,
    loginGraceSeconds: true,
    warnMinutes: true,
    devRoot: true,
    stopAt: true,
    startAt: true,
    timezone: true,
};
export const AGENT_CONFIG_KEYS = Object.keys(keyList) as ReadonlyArray<keyof AgentConfigFile>;

interface IntegerRange {
    readonly min: number;
    readonly max: number;
}

/** The integer keys' allowed values, inclusive (sshPorts: each port). Also: publishSeconds >= sampleSeconds. */
export const agentConfigRanges = {
    sampleSeconds: { min: 1, max: 3600 },
    publishSeconds: { min: 1, max: 3600 },
    idleMinutes: { min: 1, max: 1440 },
    sessionIdleSeconds: { min: 0, max: 86400 },
    trafficBytesPerMinute: { min: 1, max: 1_000_000_000 },
    downloadBytesPerMinute: { min: 0, max: 1_000_000_000 },
    sshPorts: { min: 1, max: 65535 },
    busyCpuPercent: { min: 0, max: 100 },
    busyProcessPercent: { min: 0, max: 100 },
    busyGpuPercent: { min: 0, max: 100 },
    transferBytesPerMinute: { min: 0, max: 1_000_000_000 },
    loginGraceSeconds: { min: 0, max: 86400 },
    warnMinutes: { min: 0, max: 1439 },
} as const satisfies Record<string, IntegerRange>;

/** The agent's value for a key agent.json leaves out (holdsDir: <stateDir>/holds; the rest: none). */
export const agentConfigDefaults = {
    namespace: DEFAULT_NAMESPACE,
    metricName: ACTIVE_SESSIONS_METRIC,
    sampleSeconds: 10,
    publishSeconds: 60,
    stateDir: "/var/lib/idle-stop",
    procRoot: "/proc",
    sessionIdleSeconds: 3600,
    /** Measured on loopback (docs/reference/metric.md): keep-alives ~1.2 KB/min, light typing ~7 KB/min. */
    trafficBytesPerMinute: 3000,
    /** 1 MiB/min (~17 KB/s): downloads count; output-only streams (top, tail -f) stay far below. */
    downloadBytesPerMinute: 1048576,
    sshPorts: [22],
    busyCpuPercent: 0,
    /** Measured (docs/reference/metric.md, bench/busy-work.ts): idle tools <= 0.5 % of a core, a busy loop 81 %, make -j1 71 % on a loaded box. */
    busyProcessPercent: 25,
    /** nvidia-smi's utilization.gpu: an idle GPU with a model loaded reads 0 %, a training loop near 100 (docs/reference/metric.md). */
    busyGpuPercent: 10,
    /** Provisional until measured: 1 MiB/min (~17 KB/s); an idle box's background traffic stays far below. */
    transferBytesPerMinute: 1048576,
    /** OpenSSH's default LoginGraceTime. */
    loginGraceSeconds: 120,
    warnMinutes: 0,
    devRoot: "/dev",
    timezone: "UTC",
} as const;

/**
 * The program's defaults and ranges for the agent settings it offers (IdleStop arguments, stack
 * config keys), beside the file's. The program writes every key below into agent.json, so the
 * file's defaults only apply to an agent.json written by hand. Where they differ:
 *
 *   setting           agent.json (key left out / range)   IdleStop, stack config
 *   warnMinutes       0: no warning                       5: a deployed box warns its terminals
 *   sampleSeconds     1..3600                             1..60: the program publishes every 60 s,
 *                                                         and a sample must fit in a publish period
 *   session idle      sessionIdleSeconds 3600, 0..86400   sessionIdleMinutes 60, 0..1440 (the same)
 */
export const programAgentDefaults = {
    namespace: agentConfigDefaults.namespace,
    metricName: agentConfigDefaults.metricName,
    sampleSeconds: agentConfigDefaults.sampleSeconds,
    publishSeconds: agentConfigDefaults.publishSeconds,
    sessionIdleMinutes: agentConfigDefaults.sessionIdleSeconds / 60,
    busyCpuPercent: agentConfigDefaults.busyCpuPercent,
    busyProcessPercent: agentConfigDefaults.busyProcessPercent,
    busyGpuPercent: agentConfigDefaults.busyGpuPercent,
    transferBytesPerMinute: agentConfigDefaults.transferBytesPerMinute,
    warnMinutes: 5,
} as const;

export const programAgentRanges = {
    idleMinutes: agentConfigRanges.idleMinutes,
    warnMinutes: agentConfigRanges.warnMinutes,
    sampleSeconds: { min: agentConfigRanges.sampleSeconds.min, max: programAgentDefaults.publishSeconds },
    sessionIdleMinutes: { min: agentConfigRanges.sessionIdleSeconds.min / 60, max: agentConfigRanges.sessionIdleSeconds.max / 60 },
    busyCpuPercent: agentConfigRanges.busyCpuPercent,
    busyProcessPercent: agentConfigRanges.busyProcessPercent,
    busyGpuPercent: agentConfigRanges.busyGpuPercent,
    transferBytesPerMinute: agentConfigRanges.transferBytesPerMinute,
    sshPort: agentConfigRanges.sshPorts,
} as const satisfies Record<string, IntegerRange>;

/** What the program writes (components/agent-push.ts): these keys always; the rest take the agent's defaults. */
export type ProgramAgentConfig = Readonly<
    Required<
        Pick<
            AgentConfigFile,
            | "instanceId"
            | "region"
            | "namespace"
            | "metricName"
            | "sampleSeconds"
            | "publishSeconds"
            | "alarmName"
            | "idleMinutes"
            | "warnMinutes"
            | "sessionIdleSeconds"
            | "busyCpuPercent"
            | "busyProcessPercent"
            | "busyGpuPercent"
            | "transferBytesPerMinute"
            | "sshPorts"
        >
    > &
        Pick<AgentConfigFile, "stopAt" | "startAt" | "timezone">
>;
