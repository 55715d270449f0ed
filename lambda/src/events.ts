// Which instance an invocation asks the alarm-action function to act on, from a CloudWatch alarm's event or an idle-stop schedule's (docs/reference/alarm-action.md).
import { INSTANCE_ID_DIMENSION } from "../../common/metric";
import { printable } from "../../common/printable";
import { SCHEDULED_ACTION_SOURCE } from "../../common/scheduled-action";

/**
 * The part of a CloudWatch alarm's Lambda-action event the function reads; the full shape is in the
 * CloudWatch user guide, "Lambda alarm action payload"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Lambda-action-payload).
 */
export interface AlarmEvent {
    readonly source: "aws.cloudwatch";
    readonly alarmArn: string;
    readonly accountId: string;
    readonly time: string;
    readonly region: string;
    readonly alarmData: {
        readonly alarmName: string;
        readonly state: { readonly value: string; readonly reason?: string; readonly timestamp?: string };
        readonly previousState?: { readonly value: string; readonly reason?: string; readonly timestamp?: string };
        readonly configuration: {
            readonly description?: string;
            readonly metrics: ReadonlyArray<{
                readonly id?: string;
                readonly metricStat?: {
                    readonly metric: { readonly namespace?: string; readonly name?: string; readonly dimensions?: Record<string, string> };
                    readonly period?: number;
                    readonly stat?: string;
                };
                readonly returnData?: boolean;
            }>;
        };
    };
}

/** What to do: act on one watched instance, or refuse (and say why, for the log line). */
export type Target = { readonly instanceId: string; readonly why: string } | { readonly refused: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => printable(typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined"), 80);

function watchedTarget(instanceId: string, watched: ReadonlySet<string>, why: string): Target {
    if (!watched.has(instanceId)) return { refused: `${shown(instanceId)} is not an instance this function watches (${why})` };
    return { instanceId, why };
}

/** The one InstanceId the alarm's metrics name (our idle alarm has exactly one metric). */
function alarmInstance(event: Json): string | { refused: string } {
    const data = isObject(event.alarmData) ? event.alarmData : {};
    const config = isObject(data.configuration) ? data.configuration : {};
    const metrics = Array.isArray(config.metrics) ? config.metrics : [];
    const ids = new Set<unknown>();
    for (const m of metrics) {
        const stat = isObject(m) && isObject(m.metricStat) ? m.metricStat : {};
        const dims = isObject(stat.metric) && isObject(stat.metric.dimensions) ? stat.metric.dimensions : {};
        if (INSTANCE_ID_DIMENSION in dims) ids.add(dims[INSTANCE_ID_DIMENSION]);
    }
    if (ids.size !== 1) return { refused: `the alarm's metrics name ${ids.size} ${INSTANCE_ID_DIMENSION} dimensions, not exactly one` };
    const [id] = [...ids];
    return typeof id === "string" ? id : { refused: `the alarm's ${INSTANCE_ID_DIMENSION} is ${shown(id)}, not a string` };
}

function alarmTarget(event: Json, watched: ReadonlySet<string>): Target {
    const data = isObject(event.alarmData) ? event.alarmData : {};
    const name = shown(data.alarmName);
    const state = isObject(data.state) ? data.state.value : undefined;
    // The alarm invokes its actions only on the transition to ALARM; anything else is not ours to act on.
    if (state !== "ALARM") return { refused: `alarm ${name} is in state ${shown(state)}, not ALARM` };
    const id = alarmInstance(event);
    if (typeof id !== "string") return { refused: `alarm ${name}: ${id.refused}` };
    const at =
        typeof data.state === "object" && isObject(data.state) && typeof data.state.timestamp === "string"
            ? ` at ${shown(data.state.timestamp)}`
            : "";
    return watchedTarget(id, watched, `alarm ${name} went to ALARM${at}`);
}

function scheduleTarget(event: Json, watched: ReadonlySet<string>): Target {
    if (event.action !== "hibernate") return { refused: `a schedule asked for ${shown(event.action)}, not hibernate` };
    if (typeof event.instanceId !== "string") return { refused: `a schedule named instance ${shown(event.instanceId)}` };
    return watchedTarget(event.instanceId, watched, "its stopAt schedule");
}

/** The instance to act on, or why not: only an ALARM event or a hibernate schedule naming a watched instance passes. */
export function targetOf(event: unknown, watched: ReadonlySet<string>): Target {
    if (!isObject(event)) return { refused: `the event is ${shown(event)}, not an object` };
    if (event.source === "aws.cloudwatch") return alarmTarget(event, watched);
    if (event.source === SCHEDULED_ACTION_SOURCE) return scheduleTarget(event, watched);
    return { refused: `an event from ${shown(event.source)}, neither a CloudWatch alarm nor an idle-stop schedule` };
}
