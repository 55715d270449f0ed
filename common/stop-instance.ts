// Hibernates one instance, or stops it plainly where EC2 refuses to hibernate it: the alarm-action function, `pulumi up`/`destroy`'s sleep step and the laptop's `stop` all call it (docs/reference/alarm-action.md).
import { EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";

export interface StopOutcome {
    /** `hibernating`/`stopping`: this call started it; `already stopped`: nothing to do. */
    readonly did: "hibernating" | "stopping" | "already stopped";
    /** Why it is not a hibernation, when it is not (EC2's error code and message). */
    readonly because?: string;
}

/**
 * A plain stop's answer for an instance that was stopped or stopping already: EC2 answers a plain
 * stop of one with success (and a hibernate request for one with IncorrectInstanceState, which is
 * why that refusal is not taken at its word: a pending box, or one EC2 will not hibernate just
 * now, answers it too, and must still be stopped).
 */
const ALREADY_STOPPED_STATES = new Set(["stopped", "stopping"]);
const ALREADY_STOPPED = new Set(["IncorrectInstanceState"]);

/**
 * Refusals a plain stop would meet as well: no point retrying without hibernation. Everything else
 * (UnsupportedHibernationConfiguration for an instance launched without it, UnsupportedOperation for
 * a type, AMI or state that cannot hibernate now, parameter errors) falls back to a plain stop, so a
 * box never stays up because it could not hibernate (instance-scheduler-on-aws #510 did).
 */
const PLAIN_STOP_FAILS_TOO =
    /^(UnauthorizedOperation|AuthFailure|InvalidInstanceID\.|RequestLimitExceeded|Throttling|InternalError|ServiceUnavailable|Unavailable)/;

function errorCode(err: unknown): string {
    return typeof err === "object" && err !== null && "name" in err ? String(err.name) : "Error";
}

function errorText(err: unknown): string {
    return `${errorCode(err)}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
}

/** StopInstances for one instance; its state before the call, as EC2 reports it. */
async function stop(client: EC2Client, instanceId: string, hibernate: boolean): Promise<string | undefined> {
    const out = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId], ...(hibernate ? { Hibernate: true } : {}) }));
    return out.StoppingInstances?.find((i) => i.InstanceId === instanceId)?.PreviousState?.Name;
}

/** StopInstances with Hibernate=true, then without it when EC2 refuses to hibernate; throws what a plain stop meets too. */
export async function hibernateOrStop(client: EC2Client, instanceId: string): Promise<StopOutcome> {
    try {
        await stop(client, instanceId, true);
        return { did: "hibernating" };
    } catch (err) {
        if (PLAIN_STOP_FAILS_TOO.test(errorCode(err))) throw err;
        let previous: string | undefined;
        try {
            previous = await stop(client, instanceId, false);
        } catch (plainErr) {
            if (ALREADY_STOPPED.has(errorCode(plainErr))) return { did: "already stopped", because: errorText(plainErr) };
            throw plainErr;
        }
        if (previous !== undefined && ALREADY_STOPPED_STATES.has(previous)) return { did: "already stopped", because: errorText(err) };
        return { did: "stopping", because: errorText(err) };
    }
}
