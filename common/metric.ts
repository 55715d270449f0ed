// The CloudWatch metric the agent publishes and the program's alarms and dashboard read. Counting rules: docs/reference/metric.md

/** The namespace every idle-stop metric goes to unless configured otherwise (stack `namespace`, agent.json `namespace`). */
export const DEFAULT_NAMESPACE = "IdleStop";

/** Sessions in use (plus other terminals with input, holds, a busy CPU): the idle alarm stops the box when its Maximum stays 0. */
export const ACTIVE_SESSIONS_METRIC = "ActiveSessions";

/** Authenticated SSH sessions, in use or not; published beside the configured metric, same namespace and dimension. */
export const CONNECTED_SESSIONS_METRIC = "ConnectedSessions";

/** The one dimension of both metrics: the EC2 instance id. */
export const INSTANCE_ID_DIMENSION = "InstanceId";

/**
 * What keeps a box up, per kind of signal: published with the dimensions InstanceId and Signal,
 * only for the periods in which that signal kept the box up (a metric without data costs nothing),
 * value = what that signal added to ActiveSessions. The dashboard draws one line per kind.
 */
export const KEPT_UP_BY_METRIC = "KeptUpBy";
export const SIGNAL_DIMENSION = "Signal";

/** The kinds of signal, as `status --json` names them in `keptUpBy[].signal` and the Signal dimension carries them. */
export const KEPT_UP_SIGNALS = ["terminal", "traffic", "other-terminal", "hold", "process", "gpu", "transfer", "cpu", "connected"] as const;
export type KeptUpSignal = (typeof KEPT_UP_SIGNALS)[number];

/** One reason the box is up now, as `status --json` carries it in `keptUpBy`. */
export interface KeptUp {
    signal: KeptUpSignal;
    /** For people: "GPU 0 87%", "python train.py (uid 1001) 98% of a core". Printable text only. */
    detail: string;
}

/**
 * CloudWatch namespaces: 1-255 printable ASCII characters, not starting with ':'. The program holds
 * metric names to the same rule; the agent, reading a hand-written agent.json, only to METRIC_NAME_PATTERN.
 */
export const NAMESPACE_PATTERN = /^(?!:)[\x20-\x7e]{1,255}$/;
export const NAMESPACE_ALLOWED = "1-255 printable ASCII characters, not starting with ':'";

/** CloudWatch metric names: 1-255 printable ASCII characters. */
export const METRIC_NAME_PATTERN = /^[\x20-\x7e]{1,255}$/;
export const METRIC_NAME_ALLOWED = "1-255 printable ASCII characters";
