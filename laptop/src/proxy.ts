/**
 * `idle-stop proxy`: an SSH ProxyCommand that wakes the box. Brings the instance to `running`
 * (see instances.ts), reads its address as it is NOW (a stop/start changes the public IP), dials
 * the SSH port until it accepts, and relays stdin/stdout over that connection. Nothing is written
 * to stdout before the relay starts: stdout is the SSH stream.
 */
import { RuntimeError } from "../../common/errors";
import { AddressChoice, addressOf, boxLabel, ec2Client, ensureRunning } from "./instances";
import { Progress } from "./progress";
import { connectWhenReady, relay } from "./relay";

export interface ProxyOptions {
    readonly instanceId: string;
    readonly region?: string;
    readonly port: number;
    readonly address: AddressChoice;
    readonly timeoutSeconds: number;
    readonly name?: string;
    readonly profile?: string;
}

/** How often the instance's state is read while it starts or stops. */
const pollMs = 1000;

export async function runProxy(options: ProxyOptions): Promise<number> {
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    const progress = new Progress();
    const ec2 = ec2Client(options.region, options.profile);
    const woken = await ensureRunning(ec2, options.instanceId, { label: options.name, deadline, pollMs, observer: progress });
    const host = addressOf(woken.instance, options.address);
    if (host === undefined) {
        throw new RuntimeError(`${boxLabel(woken.label, options.instanceId)} has no ${options.address === "auto" ? "" : `${options.address} `}address`);
    }
    let waiting = false;
    const connected = await connectWhenReady(host, options.port, deadline, {
        // A box that was just started may accept and drop connections while it boots; one that
        // was running is dialled without waiting for its banner (no added latency).
        awaitGreeting: woken.initialState !== "running",
        onRetry: () => {
            if (!waiting) progress.phase(`${woken.label} is running; waiting for SSH on ${host}:${options.port}`);
            waiting = true;
        },
    }).catch((err: Error) => {
        throw new RuntimeError(`timed out: ${boxLabel(woken.label, options.instanceId)} runs but ${host}:${options.port} does not accept connections (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    });
    progress.done(`${woken.label} is up`);
    await relay(connected.socket, process.stdin, process.stdout, connected.greeting);
    return 0;
}
