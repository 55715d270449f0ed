// The alarm-action function's handler: hibernates the watched instance an idle alarm or a schedule names, else stops it (docs/reference/alarm-action.md).
import { EC2Client } from "@aws-sdk/client-ec2";
import { parseWatchedInstances, WATCHED_INSTANCES_ENV } from "../../common/alarm-action";
import { targetOf } from "./events";
import { hibernateOrStop, StopOutcome } from "../../common/stop-instance";

/** What one invocation did, also its one log line. */
export interface ActionResult {
    readonly did: StopOutcome["did"] | "refused" | "failed";
    readonly instanceId?: string;
    readonly line: string;
}

/** Kept between invocations of a warm function; the region and credentials come from Lambda's environment. */
let client: EC2Client | undefined;

function report(result: ActionResult): ActionResult {
    console.log(result.line);
    return result;
}

/** The Lambda handler. Refusals return (no retry helps them); EC2 failures throw, so Lambda's asynchronous retries try again. */
export async function handler(event: unknown): Promise<ActionResult> {
    const target = targetOf(event, parseWatchedInstances(process.env[WATCHED_INSTANCES_ENV]));
    if ("refused" in target) return report({ did: "refused", line: `idle-stop: refused, no EC2 call: ${target.refused}` });
    client ??= new EC2Client({});
    const { instanceId, why } = target;
    let outcome: StopOutcome;
    try {
        outcome = await hibernateOrStop(client, instanceId);
    } catch (err) {
        const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        report({ did: "failed", instanceId, line: `idle-stop: could not stop ${instanceId} (${why}): ${text}` });
        throw err;
    }
    const what = {
        hibernating: `hibernating ${instanceId}`,
        stopping: `stopped ${instanceId} plainly, hibernation refused (${outcome.because})`,
        "already stopped": `left ${instanceId} alone, already stopping or stopped (${outcome.because})`,
    }[outcome.did];
    return report({ did: outcome.did, instanceId, line: `idle-stop: ${what}; because ${why}` });
}
