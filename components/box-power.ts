/**
 * Wakes a watched box before Pulumi reaches it over SSH and puts it back to sleep afterwards; run
 * by the local commands components/box-wake.ts declares (docs/architecture.md, "Waking boxes for
 * Pulumi"). A box is stopped only when this script started it: a running box is never stopped.
 *
 *   node -r ts-node/register/transpile-only box-power.ts wake  --region R --instance I --host H --port P [--marker]
 *   node -r ts-node/register/transpile-only box-power.ts sleep --region R --instance I [--woke STDOUT | --marker] [--hibernate]
 *
 * `wake` prints `woke` (it started the box) or `awake` (it was running or starting already) on
 * stdout; `sleep --woke` takes that line back. `--marker` keeps the same fact in a file instead,
 * for the destroy path, where the step that wakes and the step that sleeps are two resources'
 * deletes and cannot pass outputs to each other. `--hibernate` (a box whose action is hibernate)
 * hibernates it, else stops it plainly, as its alarm-action function would (common/stop-instance.ts):
 * a plain stop would drop the memory the box was woken from.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { RuntimeError, errorMessage } from "../common/errors";
import { INSTANCE_ID_PATTERN, REGION_PATTERN } from "../common/aws-ids";
import { SSH_HOST_PATTERN } from "../common/ssh-names";
import { describeInstances, ec2Client, ensureRunning, hibernateInstance, stopInstance } from "../laptop/src/aws/instances";

const WOKE = "woke";
const AWAKE = "awake";

interface PowerTarget {
    readonly region: string;
    readonly instanceId: string;
    /** Polling interval while waiting for the state and the port. */
    readonly pollMs: number;
    /** Sleep means hibernate (else a plain stop where EC2 refuses). */
    readonly hibernate: boolean;
}

/** A marker older than this is left over from a run that died between wake and sleep; it is ignored. */
const MARKER_MAX_AGE_MS = 6 * 3600 * 1000;
/** How long a start, then the SSH port, may take (a stopping box must stop first). */
const RUNNING_DEADLINE_MS = 10 * 60 * 1000;
const PORT_DEADLINE_MS = 5 * 60 * 1000;

export function markerPath(instanceId: string, dir = path.join(os.tmpdir(), "idle-stop-woken")): string {
    return path.join(dir, instanceId);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
    return new Promise((done) => {
        const socket = net.connect({ host, port });
        const finish = (ok: boolean) => {
            socket.destroy();
            done(ok);
        };
        socket.setTimeout(timeoutMs, () => finish(false));
        socket.once("connect", () => finish(true));
        socket.once("error", () => finish(false));
    });
}

async function waitForPort(host: string, port: number, pollMs: number): Promise<void> {
    const deadline = Date.now() + PORT_DEADLINE_MS;
    while (!(await portAccepts(host, port, 10_000))) {
        if (Date.now() + pollMs > deadline) {
            throw new RuntimeError(
                `${host}:${port} did not accept a connection within ${PORT_DEADLINE_MS / 1000} s (security group, sshIngressCidrs, VPN?)`,
            );
        }
        await pause(pollMs);
    }
}

/** Brings the box to running and waits until its SSH port accepts; says whether it started it. */
async function wakeBox(target: PowerTarget, host: string, port: number, marker?: string): Promise<string> {
    const ec2 = ec2Client(target.region);
    const result = await ensureRunning(ec2, target.instanceId, {
        deadline: Date.now() + RUNNING_DEADLINE_MS,
        pollMs: target.pollMs,
        observer: { phase: (text) => process.stderr.write(`idle-stop: ${text}\n`) },
    });
    if (result.started && marker !== undefined) {
        fs.mkdirSync(path.dirname(marker), { recursive: true, mode: 0o700 });
        fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    await waitForPort(host, port, target.pollMs);
    return result.started ? WOKE : AWAKE;
}

/** Whether a marker says this run woke the box; consumes it. */
function takeMarker(marker: string): boolean {
    let fresh = false;
    try {
        fresh = Date.now() - fs.statSync(marker).mtimeMs < MARKER_MAX_AGE_MS;
        fs.rmSync(marker, { force: true });
    } catch {
        return false;
    }
    return fresh;
}

/** Stops the box only when the wake step started it. Returns whether it stopped it. */
async function sleepBox(target: PowerTarget, woken: { woke?: string; marker?: string }): Promise<boolean> {
    const wokeByUs = woken.marker !== undefined ? takeMarker(woken.marker) : woken.woke?.trim() === WOKE;
    if (!wokeByUs) return false;
    const ec2 = ec2Client(target.region);
    const state = (await describeInstances(ec2, [target.instanceId])).get(target.instanceId)?.state;
    if (state !== "running" && state !== "pending") return false;
    if (!target.hibernate) {
        process.stderr.write(`idle-stop: ${target.instanceId} was woken for this run; stopping it again\n`);
        await stopInstance(ec2, target.instanceId);
        return true;
    }
    const outcome = await hibernateInstance(ec2, target.instanceId);
    const how = {
        hibernating: "hibernating it again",
        stopping: `stopping it plainly, hibernation refused (${outcome.because ?? ""})`,
        "already stopped": `it was stopped already (${outcome.because ?? ""})`,
    }[outcome.did];
    process.stderr.write(`idle-stop: ${target.instanceId} was woken for this run; ${how}\n`);
    return outcome.did !== "already stopped";
}

/** Flags that take no value. */
const BARE_FLAGS = new Set(["--marker", "--hibernate"]);

/** Parses `--key value` flags (and the bare ones); every value is checked before use. */
function parseFlags(argv: string[]): Map<string, string> {
    const flags = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i];
        if (!key.startsWith("--")) throw new RuntimeError(`unexpected argument ${JSON.stringify(key)}`);
        if (BARE_FLAGS.has(key)) {
            flags.set(key.slice(2), "");
        } else {
            flags.set(key.slice(2), argv[++i] ?? "");
        }
    }
    return flags;
}

function required(flags: Map<string, string>, key: string, pattern: RegExp): string {
    const value = flags.get(key) ?? "";
    if (!pattern.test(value)) throw new RuntimeError(`--${key}: ${JSON.stringify(value)} is not allowed`);
    return value;
}

/** Whether a deleted or terminated box is fine (destroy: nothing left to wake). */
function gone(err: unknown): boolean {
    const text = errorMessage(err);
    return /InvalidInstanceID\.NotFound|terminated|shutting-down/.test(text);
}

async function main(argv: string[]): Promise<void> {
    const [verb, ...rest] = argv;
    const flags = parseFlags(rest);
    const instanceId = required(flags, "instance", INSTANCE_ID_PATTERN);
    const target: PowerTarget = {
        region: required(flags, "region", REGION_PATTERN),
        instanceId,
        // The tests poll faster than EC2 needs (its starts take tens of seconds).
        pollMs: Number(flags.get("poll-ms") ?? process.env.IDLE_STOP_WAKE_POLL_MS ?? 5000),
        hibernate: flags.has("hibernate"),
    };
    const marker = flags.has("marker") ? markerPath(instanceId) : undefined;
    if (verb === "wake") {
        const host = required(flags, "host", SSH_HOST_PATTERN);
        const port = Number(required(flags, "port", /^\d{1,5}$/));
        try {
            process.stdout.write(`${await wakeBox(target, host, port, marker)}\n`);
        } catch (err) {
            // At destroy a box that is already gone has nothing to uninstall; the rest of the destroy goes on.
            if (marker === undefined || !gone(err)) throw err;
            process.stdout.write(`${AWAKE}\n`);
        }
    } else if (verb === "sleep") {
        try {
            await sleepBox(target, { woke: flags.get("woke"), marker });
        } catch (err) {
            if (marker === undefined || !gone(err)) throw err;
        }
    } else {
        throw new RuntimeError(`unknown verb ${JSON.stringify(verb)}; expected wake or sleep`);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((err: unknown) => {
        process.stderr.write(`idle-stop: ${errorMessage(err)}\n`);
        process.exit(1);
    });
}
