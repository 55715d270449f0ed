// What the stack tells its alarm-action function: which instances it may stop (docs/reference/alarm-action.md).
import { INSTANCE_ID_PATTERN } from "./aws-ids";

/**
 * The function's environment variable holding the JSON list of the instance ids it watches; the
 * component writes it, the handler refuses any event naming another instance.
 */
export const WATCHED_INSTANCES_ENV = "IDLE_STOP_WATCHED_INSTANCES";

/**
 * The watched ids from the variable's value. Anything that is not a JSON list of instance ids
 * yields the ids that are (none for garbage): a broken variable makes the function refuse, never
 * widen what it acts on.
 */
export function parseWatchedInstances(raw: string | undefined): ReadonlySet<string> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw ?? "[]");
    } catch {
        parsed = [];
    }
    const ids = Array.isArray(parsed) ? parsed : [];
    return new Set(ids.filter((id): id is string => typeof id === "string" && INSTANCE_ID_PATTERN.test(id)));
}

/**
 * What an idle alarm's stopping action looks like: CloudWatch's EC2 stop or terminate action, or
 * a Lambda function (the alarm-action function, for hibernate). The laptop command uses it to
 * pick the idle alarms out of an account's alarms and to tell idle-stop's stops in their history.
 */
export const STOP_ACTION_PATTERN = /^arn:[a-z-]+:(automate:[a-z0-9-]+:ec2:(stop|terminate)|lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?)$/;

/** The Lambda-function form of STOP_ACTION_PATTERN: an idle alarm with it belongs to a box whose action is hibernate. */
export const LAMBDA_ACTION_PATTERN = /^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
