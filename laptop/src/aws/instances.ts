/**
 * The EC2 side of a watched box: read its state and addresses, start it, stop it, and bring it to
 * `running` from whatever state it is in (start a stopped box exactly once, wait out `stopping`
 * and `pending`), reporting progress as it goes.
 */
import { DescribeInstancesCommand, EC2Client, Instance, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { INSTANCE_TYPE_PATTERN } from "../../../common/aws-ids";
import { RuntimeError } from "../../../common/errors";
import { printable } from "../../../common/printable";
import { SSH_HOST_PATTERN } from "../../../common/ssh-names";
import { hibernateOrStop, StopOutcome } from "../../../common/stop-instance";
import { awsCall } from "./errors";

export interface InstanceView {
    readonly id: string;
    /** pending | running | stopping | stopped | shutting-down | terminated */
    readonly state: string;
    readonly publicIp?: string;
    readonly publicDns?: string;
    readonly privateIp?: string;
    /** The `Name` tag, made printable: anyone who may tag instances in the account chooses it. */
    readonly name?: string;
    /** `t3.large`: what `idle-stop savings` prices it by; absent when EC2's answer does not look like one. */
    readonly instanceType?: string;
}

/** "devbox (i-0123...)", or just the id when the box has no other name. */
export function boxLabel(label: string, id: string): string {
    return label === id ? id : `${label} (${id})`;
}

export type AddressChoice = "auto" | "public" | "private";

/** An address from EC2 only when it looks like one: it is dialled, printed and handed to Pulumi. */
function address(value: string | undefined): string | undefined {
    return value !== undefined && SSH_HOST_PATTERN.test(value) ? value : undefined;
}

function view(instance: Instance): InstanceView {
    const name = instance.Tags?.find((t) => t.Key === "Name")?.Value;
    return {
        id: instance.InstanceId ?? "",
        state: printable(instance.State?.Name ?? "unknown", 40),
        publicIp: address(instance.PublicIpAddress),
        publicDns: address(instance.PublicDnsName),
        privateIp: address(instance.PrivateIpAddress),
        // Tags hold up to 256 characters; a progress line needs far fewer.
        name: name ? printable(name, 64) : undefined,
        instanceType: instance.InstanceType !== undefined && INSTANCE_TYPE_PATTERN.test(instance.InstanceType) ? instance.InstanceType : undefined,
    };
}

/** An EC2 client on the SDK's standard chain; `profile` is what AWS_PROFILE would be. */
export function ec2Client(region: string | undefined, profile?: string): EC2Client {
    return new EC2Client({ ...(region ? { region } : {}), ...(profile ? { profile } : {}) });
}

async function regionOf(ec2: EC2Client): Promise<string> {
    try {
        return await ec2.config.region();
    } catch {
        return "the default region";
    }
}

export async function describeInstances(ec2: EC2Client, ids: string[]): Promise<Map<string, InstanceView>> {
    const found = new Map<string, InstanceView>();
    if (ids.length === 0) return found;
    const target = `${ids.join(", ")} in ${await regionOf(ec2)}`;
    const out = await awsCall({ action: "ec2:DescribeInstances", target }, () => ec2.send(new DescribeInstancesCommand({ InstanceIds: ids })));
    for (const reservation of out.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
            const v = view(instance);
            found.set(v.id, v);
        }
    }
    return found;
}

async function describeInstance(ec2: EC2Client, id: string): Promise<InstanceView> {
    const found = (await describeInstances(ec2, [id])).get(id);
    if (!found) throw new RuntimeError(`no instance ${id} in ${await regionOf(ec2)}`);
    return found;
}

async function startInstance(ec2: EC2Client, id: string): Promise<void> {
    await awsCall({ action: "ec2:StartInstances", target: `${id} in ${await regionOf(ec2)}` }, () =>
        ec2.send(new StartInstancesCommand({ InstanceIds: [id] })),
    );
}

export async function stopInstance(ec2: EC2Client, id: string): Promise<void> {
    await awsCall({ action: "ec2:StopInstances", target: `${id} in ${await regionOf(ec2)}` }, () =>
        ec2.send(new StopInstancesCommand({ InstanceIds: [id] })),
    );
}

/**
 * Hibernates the box, else stops it plainly, as the alarm-action function does (common/stop-instance.ts):
 * for a box whose action is hibernate, so a stop from here keeps its memory as the idle alarm's does.
 */
export async function hibernateInstance(ec2: EC2Client, id: string): Promise<StopOutcome> {
    return awsCall({ action: "ec2:StopInstances", target: `${id} in ${await regionOf(ec2)}` }, () => hibernateOrStop(ec2, id));
}

/**
 * The same question asked twice at once is asked of EC2 once: `status` reads the instances for
 * its own lines and, alongside, for the month's saving (the same boxes of each region).
 */
const describesInFlight = new Map<string, Promise<Map<string, InstanceView>>>();

/** DescribeInstances fails as a whole for one unknown id; ask one by one then, so the rest still show. */
export function describeInstancesLenient(region: string, ids: string[]): Promise<Map<string, InstanceView>> {
    const key = `${region} ${[...ids].sort().join(" ")}`;
    const asked = describesInFlight.get(key);
    if (asked) return asked;
    const answer = describeEach(region, ids).finally(() => describesInFlight.delete(key));
    describesInFlight.set(key, answer);
    return answer;
}

async function describeEach(region: string, ids: string[]): Promise<Map<string, InstanceView>> {
    const ec2 = ec2Client(region);
    try {
        return await describeInstances(ec2, ids);
    } catch (err) {
        if (!(err instanceof RuntimeError && err.message.includes("InvalidInstanceID"))) throw err;
        const merged = new Map<string, InstanceView>();
        if (ids.length === 1) return merged;
        for (const id of ids) for (const [k, v] of await describeInstancesLenient(region, [id])) merged.set(k, v);
        return merged;
    }
}

/** The address to dial: `auto` prefers the public IP (a laptop is outside the VPC), else the private one. */
export function addressOf(instance: InstanceView, choice: AddressChoice): string | undefined {
    switch (choice) {
        case "public":
            return instance.publicIp ?? instance.publicDns;
        case "private":
            return instance.privateIp;
        case "auto":
            return instance.publicIp ?? instance.publicDns ?? instance.privateIp;
    }
}

/** Receives what ensureRunning is doing, for a progress line on stderr. */
interface WakeObserver {
    phase(text: string): void;
}

interface WakeResult {
    readonly instance: InstanceView;
    /** The state it was in when we first looked. */
    readonly initialState: string;
    /** Whether we called StartInstances. */
    readonly started: boolean;
    /** How progress named the box. */
    readonly label: string;
}

interface WakeOptions {
    /** How progress names the box. Default: its Name tag, else its id. */
    readonly label?: string;
    readonly deadline: number;
    readonly pollMs: number;
    readonly observer?: WakeObserver;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Brings the instance to `running`. StartInstances is called at most once: after it, the state
 * may still read `stopped` for a moment (EC2 is eventually consistent), and starting again then
 * would only repeat the request.
 */
export async function ensureRunning(ec2: EC2Client, id: string, options: WakeOptions): Promise<WakeResult> {
    let initialState: string | undefined;
    let started = false;
    let lastPhase = "";
    const phase = (text: string): void => {
        if (text !== lastPhase) options.observer?.phase(text);
        lastPhase = text;
    };
    for (;;) {
        const instance = await describeInstance(ec2, id);
        initialState ??= instance.state;
        const label = printable(options.label ?? instance.name ?? id, 64);
        switch (instance.state) {
            case "running":
                return { instance, initialState, started, label };
            case "terminated":
            case "shutting-down":
                throw new RuntimeError(`${boxLabel(label, id)} is ${instance.state}; it cannot be started again`);
            case "stopped":
                if (!started) {
                    phase(`${label} is stopped; starting it`);
                    try {
                        await startInstance(ec2, id);
                        started = true;
                    } catch (err) {
                        // It may have moved on between the two calls; anything else is the user's to fix.
                        if (!(err instanceof RuntimeError && err.message.includes("IncorrectInstanceState"))) throw err;
                    }
                    continue;
                }
                break;
            case "stopping":
                phase(`${label} is stopping; it will be started once it has stopped`);
                break;
            case "pending":
                phase(started ? `${label} is stopped; starting it` : `${label} is starting`);
                break;
            default:
                phase(`${label} is ${instance.state}`);
        }
        if (Date.now() + options.pollMs > options.deadline) {
            throw new RuntimeError(`timed out: ${boxLabel(label, id)} is still ${instance.state}`);
        }
        await sleep(options.pollMs);
    }
}
