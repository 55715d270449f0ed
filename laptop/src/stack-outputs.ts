/**
 * The watched instances as the stack's `instances` output describes them (index.ts), read with
 * `pulumi stack output --json` (no secrets needed: nothing here is one). Every value is checked
 * before use: the names, users, ports and ids go into ~/.ssh/config and Pulumi's command line, and
 * whoever can change the stack's state (or, later, an instance's tags) chooses them
 * (docs/security.md#the-laptop-side). An entry with a bad value is skipped with a warning.
 */
import type { BoxTags } from "../../common/box-tags";
import { WatchedInstanceOutputs } from "../../common/stack-outputs";
import { RuntimeError, UsageError } from "../../common/errors";
import { INSTANCE_ID_ALLOWED, INSTANCE_ID_PATTERN, REGION_ALLOWED, REGION_PATTERN } from "../../common/aws-ids";
import { programAgentDefaults, programAgentRanges } from "../../common/agent-config";
import { METRIC_NAME_ALLOWED, METRIC_NAME_PATTERN, NAMESPACE_ALLOWED, NAMESPACE_PATTERN } from "../../common/metric";
import { printable, quotedPrintable } from "../../common/printable";
import { formatSchedule, isTimeZone, parseSchedule, SCHEDULE_ALLOWED, TIME_ZONE_ALLOWED } from "../../common/schedule";
import {
    HOST_ALIAS_ALLOWED,
    HOST_ALIAS_PATTERN,
    SSH_HOST_ALLOWED,
    SSH_HOST_PATTERN,
    SSH_USER_ALLOWED,
    SSH_USER_PATTERN,
} from "../../common/ssh-names";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
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
    /** Seconds between the agent's samples: from the stack's outputs or the alarm's tag, else the default 10 (a deploy before them). */
    readonly sampleSeconds: number;
    /** The Pulumi stack that watches it: `project/stack` from its alarm's tag, or the `--stack` its outputs came from. */
    readonly stack?: string;
    /** The box's fixed stop/start times, from the stack's outputs or its alarm's tags (checked); undefined when none. */
    readonly schedule?: Required<Pick<BoxTags, "timezone">> & Pick<BoxTags, "stopAt" | "startAt">;
    /** Its action is hibernate (the stack's `action` output, or an idle alarm acting through a Lambda function): `stop` hibernates it. */
    readonly hibernate?: boolean;
}

/** A check of one field: whether the value is allowed, and how to say what is. */
interface FieldRule {
    readonly ok: (value: unknown) => boolean;
    readonly allowed: string;
}

const matches = (pattern: RegExp, allowed: string): FieldRule => ({ ok: (v) => typeof v === "string" && pattern.test(v), allowed });
const integerIn = (range: { min: number; max: number }): FieldRule => ({
    ok: (v) => typeof v === "number" && Number.isInteger(v) && v >= range.min && v <= range.max,
    allowed: `a whole number from ${range.min} to ${range.max}`,
});
/** Text shown to people or passed to AWS: no control characters, not empty, bounded. */
const plainText: FieldRule = {
    ok: (v) => typeof v === "string" && v !== "" && v.length <= 255 && printable(v, 255) === v,
    allowed: "1-255 characters without control characters",
};
/** A Pulumi URN, passed to `pulumi up --target`: nothing Pulumi's parser could take for an option. */
// "" for a box found from AWS (no URNs there); the stack's own outputs must have them (watchedBoxes).
const urn: FieldRule = { ok: (v) => v === "" || (typeof v === "string" && /^urn:pulumi:[\x21-\x7e]{1,1000}$/.test(v)), allowed: "a Pulumi URN" };

/** Every field the laptop command reads, checked against the same rules as the program's (common/). */
const fieldRules: Readonly<
    Record<Exclude<keyof WatchedBox, "name" | "stack" | "adopted" | "sshHostFixed" | "schedule" | "sampleSeconds" | "hibernate">, FieldRule>
> = {
    instanceId: matches(INSTANCE_ID_PATTERN, INSTANCE_ID_ALLOWED),
    region: matches(REGION_PATTERN, REGION_ALLOWED),
    // Empty for a created box that had no address when the stack was last deployed.
    sshHost: { ok: (v) => v === "" || (typeof v === "string" && SSH_HOST_PATTERN.test(v)), allowed: SSH_HOST_ALLOWED },
    sshUser: matches(SSH_USER_PATTERN, SSH_USER_ALLOWED),
    sshPort: integerIn(programAgentRanges.sshPort),
    idleMinutes: integerIn(programAgentRanges.idleMinutes),
    namespace: matches(NAMESPACE_PATTERN, NAMESPACE_ALLOWED),
    metricName: matches(METRIC_NAME_PATTERN, METRIC_NAME_ALLOWED),
    alarmName: plainText,
    silentAlarmName: plainText,
    agentCommandUrn: urn,
    payloadUrn: urn,
};

/** What is wrong with these fields of an entry (from the stack or from AWS), or undefined when all are allowed. */
export function fieldsProblem(entry: Readonly<Record<string, unknown>>, fields: ReadonlyArray<keyof typeof fieldRules>): string | undefined {
    for (const field of fields) {
        const rule = fieldRules[field];
        const value = Object.hasOwn(entry, field) ? entry[field] : undefined;
        if (!rule.ok(value)) return `${field} ${quotedPrintable(String(value))} is not ${rule.allowed}`;
    }
    return undefined;
}

/** What is wrong with one entry, or undefined when every field is allowed. */
export function entryProblem(name: string, entry: Readonly<Record<string, unknown>>): string | undefined {
    if (!HOST_ALIAS_PATTERN.test(name)) return `its name is not ${HOST_ALIAS_ALLOWED}`;
    for (const [field, rule] of Object.entries(fieldRules)) {
        const value = Object.hasOwn(entry, field) ? entry[field] : undefined;
        if (!rule.ok(value)) return `${field} ${quotedPrintable(String(value))} is not ${rule.allowed}`;
    }
    for (const field of ["adopted", "sshHostFixed"]) {
        if (typeof entry[field] !== "boolean") return `${field} is not true or false`;
    }
    return undefined;
}

/** An entry's schedule (optional fields: a stack without schedules, or deployed before them, has none), checked; a string says what is wrong. */
function scheduleOf(entry: Readonly<Record<string, unknown>>): WatchedBox["schedule"] | string | undefined {
    const { stopAt, startAt, timezone } = entry;
    if (stopAt === undefined && startAt === undefined) return undefined;
    for (const [field, value] of [
        ["stopAt", stopAt],
        ["startAt", startAt],
    ] as const) {
        if (value !== undefined && (typeof value !== "string" || parseSchedule(value) === undefined))
            return `${field} ${quotedPrintable(typeof value === "string" ? value : JSON.stringify(value))} is not ${SCHEDULE_ALLOWED}`;
    }
    if (typeof timezone !== "string" || !isTimeZone(timezone))
        return `timezone ${quotedPrintable(typeof timezone === "string" ? timezone : String(JSON.stringify(timezone)))} is not ${TIME_ZONE_ALLOWED}`;
    // Shown in the canonical form, as a schedule found from the alarm's tags is.
    const canonical = (value: unknown): string | undefined => (typeof value === "string" ? formatSchedule(parseSchedule(value)!) : undefined);
    return { stopAt: canonical(stopAt), startAt: canonical(startAt), timezone };
}

/** An entry's sampleSeconds: a stack deployed before the field has none, the default then (10); a string says what is wrong. */
function sampleSecondsOf(entry: Readonly<Record<string, unknown>>): number | string {
    const value = Object.hasOwn(entry, "sampleSeconds") ? entry.sampleSeconds : undefined;
    if (value === undefined) return programAgentDefaults.sampleSeconds;
    const rule = integerIn(programAgentRanges.sampleSeconds);
    return rule.ok(value) ? (value as number) : `sampleSeconds ${quotedPrintable(String(JSON.stringify(value)))} is not ${rule.allowed}`;
}

/** Whether the entry has the fields of the current output shape (an older stack's lack some). */
function hasCurrentShape(entry: Readonly<Record<string, unknown>>): boolean {
    return Object.keys(fieldRules).every((f) => Object.hasOwn(entry, f)) && Object.hasOwn(entry, "adopted") && Object.hasOwn(entry, "sshHostFixed");
}

function warnOnStderr(text: string): void {
    process.stderr.write(`idle-stop: ${text}\n`);
}

/**
 * Parses the outputs; undefined when the stack has no `instances` output in the current shape
 * (every entry lacks fields: it predates the laptop command). An entry with a value that is not
 * allowed is left out, and `warn` names it and the value.
 */
export function watchedBoxes(outputs: Readonly<Record<string, unknown>>, warn: (text: string) => void = warnOnStderr): WatchedBox[] | undefined {
    const instances = Object.hasOwn(outputs, "instances") ? outputs.instances : undefined;
    if (typeof instances !== "object" || instances === null || Array.isArray(instances)) return undefined;
    const entries = Object.entries(instances as Record<string, unknown>).map(([name, raw]) => ({
        name,
        entry: typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {},
    }));
    if (entries.length > 0 && !entries.some(({ entry }) => hasCurrentShape(entry))) return undefined;
    const boxes: WatchedBox[] = [];
    for (const { name, entry } of entries) {
        const problem = !hasCurrentShape(entry)
            ? "it lacks fields of the current output shape"
            : (entryProblem(name, entry) ?? (entry.agentCommandUrn === "" || entry.payloadUrn === "" ? "its push URNs are empty" : undefined));
        if (problem !== undefined) {
            warn(`skipping the stack's instance ${quotedPrintable(name)}: ${problem}`);
            continue;
        }
        const schedule = scheduleOf(entry);
        if (typeof schedule === "string") {
            warn(`skipping the stack's instance ${quotedPrintable(name)}: ${schedule}`);
            continue;
        }
        const sampleSeconds = sampleSecondsOf(entry);
        if (typeof sampleSeconds === "string") {
            warn(`skipping the stack's instance ${quotedPrintable(name)}: ${sampleSeconds}`);
            continue;
        }
        const box = { name, sampleSeconds } as Record<string, unknown>;
        for (const field of [...Object.keys(fieldRules), "adopted", "sshHostFixed"]) box[field] = entry[field];
        // Any other value (or none) is a plain stop, as the laptop did before.
        const hibernate = entry.action === "hibernate" ? { hibernate: true } : {};
        boxes.push({ ...(box as unknown as WatchedBox), ...(schedule !== undefined ? { schedule } : {}), ...hibernate });
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
async function readWatchedBoxes(stack: string | undefined): Promise<WatchedBox[]> {
    const boxes = watchedBoxes(await readStackOutputs(stack));
    if (boxes === undefined) {
        throw new RuntimeError(
            "the stack's outputs lack what the laptop command needs (instances.<name>.instanceId, region, sshUser ...): run `npm run deploy` once with this version",
        );
    }
    return boxes;
}

/** Whether an executable `pulumi` is on PATH (npm and npx put this repository's node_modules/.bin there). */
function pulumiOnPath(env: NodeJS.ProcessEnv = process.env): boolean {
    return (env.PATH ?? "").split(path.delimiter).some((dir) => {
        if (dir === "") return false;
        try {
            accessSync(path.join(dir, "pulumi"), constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}

/** Where the commands look for the boxes, and which. */
export interface BoxQuery {
    /** `--stack`: read that stack's outputs, or (from AWS) keep its boxes only. */
    readonly stack?: string;
    /** `--region`, repeatable: search AWS in these regions only. */
    readonly regions: readonly string[];
}

/**
 * The watched boxes (docs/reference/laptop.md#finding-the-boxes). With `--region`: from AWS, in
 * those regions, `--stack` keeping one stack's boxes. Else with `--stack`: that stack's outputs.
 * Else with a `pulumi` on PATH: the outputs of IDLE_STOP_STACK or the selected stack; when that
 * fails and IDLE_STOP_STACK is unset, AWS with a note. Else from AWS in every configured region.
 */
export async function readBoxes(query: BoxQuery, warn: (text: string) => void = warnOnStderr): Promise<WatchedBox[]> {
    if (query.regions.length === 0) {
        if (query.stack !== undefined) return (await readWatchedBoxes(query.stack)).map((b) => ({ ...b, stack: query.stack }));
        const envStack = process.env.IDLE_STOP_STACK || undefined;
        if (pulumiOnPath()) {
            if (envStack !== undefined) return (await readWatchedBoxes(envStack)).map((b) => ({ ...b, stack: envStack }));
            try {
                return await readWatchedBoxes(undefined);
            } catch (err) {
                if (!(err instanceof RuntimeError)) throw err;
                warn(`${err.message}; finding the boxes from AWS instead`);
            }
        }
    }
    const { configuredRegions, discoverBoxes } = await import("./aws/discovery");
    const boxes = await discoverBoxes(await configuredRegions(query.regions), warn);
    // From AWS, --stack keeps one stack's boxes: `project/stack`, or `stack` alone.
    const stack = query.stack;
    return stack === undefined ? boxes : boxes.filter((b) => b.stack === stack || b.stack?.split("/")[1] === stack);
}

/** The box NAME; several stacks may watch one of that name, and --stack then picks one. */
export function boxNamed(boxes: WatchedBox[], name: string): WatchedBox {
    const found = boxes.filter((b) => b.name === name);
    if (found.length === 0)
        throw new UsageError(
            // Boxes found from AWS carry no URNs: only the stack's outputs have them.
            `no watched instance named ${quotedPrintable(name)}; ${boxes.every((b) => b.agentCommandUrn !== "") ? "the stack has" : "found in AWS"}: ${[...new Set(boxes.map((b) => b.name))].join(", ") || "none"}`,
        );
    if (found.length > 1) {
        const where = found.map((b) => `${b.stack ?? "?"} in ${b.region}`).join(", ");
        throw new UsageError(`${quotedPrintable(name)} is watched by several stacks (${where}); pick one with --region NAME --stack PROJECT/STACK`);
    }
    return found[0];
}
