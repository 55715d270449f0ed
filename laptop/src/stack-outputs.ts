/**
 * The watched instances as the stack's `instances` output describes them (index.ts), read with
 * `pulumi stack output --json` (no secrets needed: nothing here is one).
 */
import { WatchedInstanceOutputs } from "../../common/stack-outputs";
import { RuntimeError, UsageError } from "../../common/errors";
import { runPulumi, stackArgs } from "./pulumi/cli";

/** The fields of the program's `instances` output (common/stack-outputs.ts) that the laptop command uses. */
export interface WatchedBox extends Pick<
    WatchedInstanceOutputs,
    | "instanceId"
    | "region"
    | "adopted"
    | "sshHost"
    | "sshHostFixed"
    | "sshUser"
    | "sshPort"
    | "idleMinutes"
    | "namespace"
    | "metricName"
    | "alarmName"
    | "silentAlarmName"
    | "agentCommandUrn"
    | "payloadUrn"
> {
    readonly name: string;
}

const stringFields = [
    "instanceId",
    "region",
    "sshHost",
    "sshUser",
    "namespace",
    "metricName",
    "alarmName",
    "silentAlarmName",
    "agentCommandUrn",
    "payloadUrn",
] as const;

/** Parses the outputs; undefined when the stack has no `instances` output in the current shape. */
export function watchedBoxes(outputs: Record<string, unknown>): WatchedBox[] | undefined {
    const instances = outputs.instances;
    if (typeof instances !== "object" || instances === null) return undefined;
    const boxes: WatchedBox[] = [];
    for (const [name, raw] of Object.entries(instances as Record<string, unknown>)) {
        if (typeof raw !== "object" || raw === null) return undefined;
        const entry = raw as Record<string, unknown>;
        if (
            !stringFields.every((f) => typeof entry[f] === "string") ||
            typeof entry.sshPort !== "number" ||
            typeof entry.idleMinutes !== "number" ||
            typeof entry.adopted !== "boolean" ||
            typeof entry.sshHostFixed !== "boolean"
        ) {
            return undefined;
        }
        boxes.push({ name, ...(entry as Omit<WatchedBox, "name">) });
    }
    return boxes;
}

export async function readStackOutputs(stack: string | undefined): Promise<Record<string, unknown>> {
    const run = await runPulumi(["stack", "output", "--json", ...stackArgs(stack)], { capture: true });
    if (run.code !== 0)
        throw new RuntimeError(`\`pulumi stack output\` failed (exit ${run.code}); is the stack deployed and PULUMI_CONFIG_PASSPHRASE set?`);
    try {
        const parsed: unknown = JSON.parse(run.stdout || "{}");
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
        /* fall through */
    }
    throw new RuntimeError("`pulumi stack output --json` did not print a JSON object");
}

/** The stack's watched boxes; fails with advice when the stack predates the laptop command. */
export async function readWatchedBoxes(stack: string | undefined): Promise<WatchedBox[]> {
    const boxes = watchedBoxes(await readStackOutputs(stack));
    if (boxes === undefined) {
        throw new RuntimeError(
            "the stack's outputs lack what the laptop command needs (instances.<name>.instanceId, region, sshUser ...): run `npm run deploy` once with this version",
        );
    }
    return boxes;
}

export function boxNamed(boxes: WatchedBox[], name: string): WatchedBox {
    const box = boxes.find((b) => b.name === name);
    if (!box) throw new UsageError(`no watched instance named "${name}"; the stack has: ${boxes.map((b) => b.name).join(", ") || "none"}`);
    return box;
}
