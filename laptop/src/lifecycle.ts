/**
 * `idle-stop deploy` / `idle-stop destroy` (behind `npm run deploy` / `npm run destroy`): Pulumi
 * runs that work whatever state the watched boxes are in.
 *
 * The agent's push (`remote.CopyToRemote`, `remote.Command`) needs SSH to the box, and Pulumi
 * dials the connection recorded in state (`remote.Command`'s delete always uses the stored one,
 * pulumi-command's Delete reads only the old state). A stopped box cannot be reached, and a
 * box that was stopped and started has a new public address. So:
 *   deploy:  if boxes sleep, a preview (with each box's last known address, so an address alone
 *            changes nothing) tells whose agent resources change; only those are started, and the
 *            run gets their current addresses (IDLE_STOP_SSH_HOSTS, read by index.ts).
 *   destroy: every box is started, then `pulumi destroy`.
 * Before either, where a box that runs now has an address other than the stored one, a
 * `pulumi up --target <agent command>` in connection-only mode (IDLE_STOP_CONNECTION_ONLY: the
 * program ignores every other change to the push) records the current connection: a connection
 * change is an in-place update that re-runs the installed release's idempotent installer. Without
 * it, a destroyed, removed or replaced agent command would dial the stored, dead address.
 * Boxes that were asleep are stopped again afterwards, also when Pulumi fails (a created box that
 * the destroy terminated is gone; an adopted box is left as it was found).
 */
import { addressOverridesEnv, connectionOnlyEnv, formatAddressOverrides } from "../../common/address-overrides";
import { RuntimeError } from "../../common/errors";
import { addressOf, describeInstancesLenient, ec2Client, ensureRunning, hibernateInstance, InstanceView, stopInstance } from "./aws/instances";
import { Progress } from "./cli/progress";
import { runPulumi, stackArgs } from "./pulumi/cli";
import { connectWhenReady } from "./ssh/relay";
import { readStackOutputs, WatchedBox, watchedBoxes } from "./stack-outputs";

const asleepStates = new Set(["stopped", "stopping"]);
const goneStates = new Set(["terminated", "shutting-down", "unknown"]);
/** Preview step operations that do not touch the resource. */
const untouched = new Set(["same", "read", "refresh", "discard"]);

function say(text: string): void {
    process.stderr.write(`idle-stop: ${text}\n`);
}

async function currentStates(boxes: WatchedBox[]): Promise<Map<string, InstanceView>> {
    const states = new Map<string, InstanceView>();
    for (const region of new Set(boxes.map((b) => b.region))) {
        const found = await describeInstancesLenient(
            region,
            boxes.filter((b) => b.region === region).map((b) => b.instanceId),
        );
        for (const [id, view] of found) states.set(id, view);
    }
    return states;
}

/** URNs the preview would create, update, replace or delete. */
function changedUrns(previewJson: string): Set<string> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(previewJson);
    } catch {
        throw new RuntimeError("`pulumi preview --json` did not print JSON");
    }
    const steps = (parsed as { steps?: Array<{ op?: string; urn?: string }> }).steps ?? [];
    return new Set(steps.filter((s) => s.urn && s.op && !untouched.has(s.op)).map((s) => s.urn as string));
}

interface Woken {
    readonly box: WatchedBox;
    readonly started: boolean;
    readonly address: string;
}

/** Starts a box if it must be, and waits until its SSH port accepts. */
async function wake(box: WatchedBox): Promise<Woken> {
    const progress = new Progress();
    const deadline = Date.now() + 600_000;
    const woken = await ensureRunning(ec2Client(box.region), box.instanceId, { label: box.name, deadline, pollMs: 1000, observer: progress });
    const address = box.sshHostFixed ? box.sshHost : addressOf(woken.instance, "auto");
    if (address === undefined) throw new RuntimeError(`${box.name} (${box.instanceId}) runs but has no address`);
    const connected = await connectWhenReady(address, box.sshPort, deadline, {
        awaitGreeting: true,
        onRetry: () => progress.phase(`${box.name} is running; waiting for SSH on ${address}:${box.sshPort}`),
    });
    connected.socket.destroy();
    progress.done(`${box.name} is up at ${address}`);
    return { box, started: woken.started, address };
}

/** Stops again the boxes this run started, unless they are gone (a destroyed created instance). */
async function backToSleep(woken: Woken[]): Promise<void> {
    const started = woken.filter((w) => w.started).map((w) => w.box);
    if (started.length === 0) return;
    const states = await currentStates(started);
    for (const box of started) {
        const state = states.get(box.instanceId)?.state ?? "unknown";
        if (state === "running" || state === "pending") {
            // A hibernating box goes back to hibernation, so its memory survives the run (common/stop-instance.ts).
            say(`${box.name} was asleep: ${box.hibernate ? "hibernating" : "stopping"} it again`);
            if (box.hibernate) await hibernateInstance(ec2Client(box.region), box.instanceId);
            else await stopInstance(ec2Client(box.region), box.instanceId);
        }
    }
}

function pulumiEnv(hosts: Record<string, string>, connectionOnly = false): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, [addressOverridesEnv]: formatAddressOverrides(hosts) };
    if (connectionOnly) env[connectionOnlyEnv] = "1";
    else delete env[connectionOnlyEnv];
    return env;
}

export async function runLifecycle(command: "deploy" | "destroy", options: { stack?: string; pulumiArgs: string[] }): Promise<number> {
    const stack = stackArgs(options.stack);
    const pulumiCommand = command === "deploy" ? "up" : "destroy";
    const boxes = watchedBoxes(
        await readStackOutputs(options.stack).catch((err: unknown) => {
            if (command === "deploy") return {}; // nothing deployed yet: nothing sleeps
            throw err;
        }),
    );
    if (boxes === undefined || boxes.length === 0) {
        if (boxes === undefined && command === "destroy") {
            say("the stack's outputs predate the laptop command: running pulumi destroy without waking boxes");
        }
        return (await runPulumi([pulumiCommand, ...stack, ...options.pulumiArgs], { capture: false })).code;
    }

    const states = await currentStates(boxes);
    const stateOf = (box: WatchedBox) => states.get(box.instanceId)?.state ?? "unknown";
    // Where Pulumi should dial each box: its address now when it runs, else the last known one.
    // Keyed by box names: no prototype, so a box named "constructor" finds nothing it did not set.
    const hosts: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const box of boxes) {
        const view = states.get(box.instanceId);
        const now = view?.state === "running" && !box.sshHostFixed ? addressOf(view, "auto") : undefined;
        hosts[box.name] = now ?? box.sshHost;
    }

    let mustWake: WatchedBox[];
    if (command === "destroy") {
        mustWake = boxes.filter((b) => !goneStates.has(stateOf(b)) && stateOf(b) !== "running");
    } else {
        const asleep = boxes.filter((b) => asleepStates.has(stateOf(b)) || stateOf(b) === "pending");
        if (asleep.length === 0) {
            mustWake = [];
        } else {
            say(`${asleep.map((b) => `${b.name} is ${stateOf(b)}`).join(", ")}: previewing whether its agent must be pushed`);
            const preview = await runPulumi(["preview", "--json", ...stack], { capture: true, env: pulumiEnv(hosts) });
            if (preview.code !== 0) throw new RuntimeError(`\`pulumi preview\` failed (exit ${preview.code})`);
            const changed = changedUrns(preview.stdout);
            mustWake = asleep.filter((b) => changed.has(b.agentCommandUrn) || changed.has(b.payloadUrn));
            const untouchedBoxes = asleep.filter((b) => !mustWake.includes(b));
            if (untouchedBoxes.length > 0) say(`${untouchedBoxes.map((b) => b.name).join(", ")}: agent unchanged, left asleep`);
        }
    }

    const woken: Woken[] = [];
    try {
        for (const box of mustWake) {
            const w = await wake(box);
            woken.push(w);
            if (!box.sshHostFixed) hosts[box.name] = w.address;
        }
        const stale = boxes.filter((b) => !b.sshHostFixed && !goneStates.has(stateOf(b)) && hosts[b.name] !== b.sshHost);
        if (stale.length > 0) {
            say(`recording the current address of ${stale.map((b) => `${b.name} (${hosts[b.name]})`).join(", ")} first`);
            const targets = stale.flatMap((b) => ["--target", b.agentCommandUrn]);
            const refresh = await runPulumi(["up", "--yes", "--skip-preview", ...stack, ...targets], { capture: false, env: pulumiEnv(hosts, true) });
            if (refresh.code !== 0)
                throw new RuntimeError(`\`pulumi up --target\` (moving the agent's stored connection) failed (exit ${refresh.code})`);
        }
        return (await runPulumi([pulumiCommand, ...stack, ...options.pulumiArgs], { capture: false, env: pulumiEnv(hosts) })).code;
    } finally {
        await backToSleep(woken);
    }
}
