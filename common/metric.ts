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
 * CloudWatch namespaces: 1-255 printable ASCII characters, not starting with ':'. The program holds
 * metric names to the same rule; the agent, reading a hand-written agent.json, only to METRIC_NAME_PATTERN.
 */
export const NAMESPACE_PATTERN = /^(?!:)[\x20-\x7e]{1,255}$/;
export const NAMESPACE_ALLOWED = "1-255 printable ASCII characters, not starting with ':'";

/** CloudWatch metric names: 1-255 printable ASCII characters. */
export const METRIC_NAME_PATTERN = /^[\x20-\x7e]{1,255}$/;
export const METRIC_NAME_ALLOWED = "1-255 printable ASCII characters";
