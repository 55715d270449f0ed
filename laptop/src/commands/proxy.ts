/**
 * `idle-stop proxy`: an SSH ProxyCommand that wakes the box. Brings the instance to `running`
 * (see aws/instances.ts), reads its address as it is NOW (a stop/start changes the public IP), dials
 * the SSH port until it accepts, and relays stdin/stdout over that connection. Nothing is written
 * to stdout before the relay starts: stdout is the SSH stream.
 */
import { INSTANCE_ID_PATTERN, REGION_ALLOWED, REGION_PATTERN } from "../../../common/aws-ids";
import { RuntimeError, UsageError } from "../../../common/errors";
import { SSH_HOST_ALLOWED, SSH_HOST_PATTERN } from "../../../common/ssh-names";
import type { AddressChoice } from "../aws/instances";
import { choiceOption, integerOption, parseCommand, stringOption } from "../cli/args";
import { Command } from "../cli/command";
import { Progress } from "../cli/progress";

interface ProxyOptions {
    readonly instanceId: string;
    readonly region?: string;
    readonly port: number;
    readonly address: AddressChoice;
    /** A configured sshHost: dialled instead of the instance's current address. */
    readonly host?: string;
    readonly timeoutSeconds: number;
    readonly name?: string;
    readonly profile?: string;
}

/** How often the instance's state is read while it starts or stops. */
const pollMs = 1000;

/** After this long without an SSH answer, a hint on what may drop the connections (docs/reference/laptop.md#proxy). */
const filteredHintMs = 30000;

export const proxy: Command = {
    name: "proxy",
    usage: [
        "--instance-id ID [--region R] [--port 22] [--address auto|public|private]",
        "[--host H] [--timeout SECONDS] [--name LABEL] [--profile NAME]",
    ],
    summary: "SSH ProxyCommand: wake the box if it sleeps, then relay",
    description: `An SSH ProxyCommand (ssh -o ProxyCommand='idle-stop proxy --instance-id i-...'). A stopped
instance is started (exactly one StartInstances), a stopping one is waited for and then started,
a pending one is waited for. Then the instance's CURRENT address is read (a stop/start changes the
public IP), the port is dialled until it accepts, and stdin/stdout are relayed to it.

Progress goes to stderr ("devbox is stopped; starting it ... 23 s"); stdout carries only the SSH
stream. Fails with one line and exit 1 for a terminated or unknown instance, a missing permission
(ec2:DescribeInstances, ec2:StartInstances), missing credentials, or a timeout.`,
    options: [
        { name: "instance-id", type: "string", value: "ID", description: "the instance (required)" },
        { name: "region", type: "string", value: "R", description: "its region (default: the SDK's, e.g. AWS_REGION or the profile's)" },
        { name: "port", type: "string", value: "N", description: "SSH port (default 22)" },
        { name: "address", type: "string", value: "A", description: "auto (public IP if any, else private; default), public, private" },
        {
            name: "host",
            type: "string",
            value: "H",
            description: "dial H (the box's configured sshHost) instead of its current address",
        },
        { name: "timeout", type: "string", value: "SECONDS", description: "give up after this long (default 300)" },
        { name: "name", type: "string", value: "LABEL", description: "how progress names the box (default: its Name tag, else its id)" },
        {
            name: "profile",
            type: "string",
            value: "NAME",
            description: `AWS profile (default: AWS_PROFILE, else the default profile); ssh-config
writes the AWS_PROFILE it ran with, since ssh started by an editor may not
have your shell's environment`,
        },
    ],
    async run(argv) {
        const p = parseCommand(proxy, argv);
        const instanceId = stringOption(p, "instance-id");
        if (instanceId === undefined) throw new UsageError("proxy: --instance-id is required");
        if (!INSTANCE_ID_PATTERN.test(instanceId))
            throw new UsageError(`proxy: --instance-id ${JSON.stringify(instanceId)}: expected i- and 8 or 17 hex digits`);
        const region = stringOption(p, "region");
        if (region !== undefined && !REGION_PATTERN.test(region))
            throw new UsageError(`proxy: --region ${JSON.stringify(region)}: expected ${REGION_ALLOWED}`);
        const host = stringOption(p, "host");
        if (host !== undefined && !SSH_HOST_PATTERN.test(host))
            throw new UsageError(`proxy: --host ${JSON.stringify(host)}: expected ${SSH_HOST_ALLOWED}`);
        return wakeAndRelay({
            instanceId,
            region,
            port: integerOption("proxy", p, "port", 22, 1, 65535),
            host,
            address: choiceOption("proxy", p, "address", ["auto", "public", "private"] as const, "auto"),
            timeoutSeconds: integerOption("proxy", p, "timeout", 300, 1, 3600),
            name: stringOption(p, "name"),
            profile: stringOption(p, "profile"),
        });
    },
};

async function wakeAndRelay(options: ProxyOptions): Promise<number> {
    // Loaded here, not at the top: only the EC2 client, and only once the arguments are good.
    const [{ addressOf, boxLabel, ec2Client, ensureRunning }, { connectWhenReady, relay }, { profileProblem }] = await Promise.all([
        import("../aws/instances"),
        import("../ssh/relay"),
        import("../aws/errors"),
    ]);
    // The SDK says only "could not load credentials" for a profile that does not exist.
    const badProfile = profileProblem(options.profile);
    if (badProfile !== undefined) throw new RuntimeError(badProfile);
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    const progress = new Progress();
    const ec2 = ec2Client(options.region, options.profile);
    const woken = await ensureRunning(ec2, options.instanceId, { label: options.name, deadline, pollMs, observer: progress });
    const host = options.host ?? addressOf(woken.instance, options.address);
    if (host === undefined) {
        throw new RuntimeError(
            `${boxLabel(woken.label, options.instanceId)} has no ${options.address === "auto" ? "" : `${options.address} `}address`,
        );
    }
    let waiting = false;
    const hint = setTimeout(() => {
        progress.phase(
            `no answer from ${host}:${options.port} for ${filteredHintMs / 1000} s; if the box is up, something may drop the connections: ` +
                `the instance's security group (the stack's sshIngressCidrs must include your address), a firewall, or a VPN you need (or are on); still waiting`,
        );
    }, filteredHintMs);
    hint.unref();
    const connected = await connectWhenReady(host, options.port, deadline, {
        // A box that was just started may accept and drop connections while it boots; one that
        // was running is dialled without waiting for its banner (no added latency).
        awaitGreeting: woken.initialState !== "running",
        onRetry: () => {
            if (!waiting) progress.phase(`${woken.label} is running; waiting for SSH on ${host}:${options.port}`);
            waiting = true;
        },
    }).catch((err: Error) => {
        clearTimeout(hint);
        throw new RuntimeError(
            `timed out: ${boxLabel(woken.label, options.instanceId)} runs but ${host}:${options.port} does not accept connections (${(err as NodeJS.ErrnoException).code ?? err.message})`,
        );
    });
    clearTimeout(hint);
    progress.done(`${woken.label} is up`);
    await relay(connected.socket, process.stdin, process.stdout, connected.greeting);
    // stdout (the SSH stream) may still be draining; main.ts exits as soon as run returns.
    await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
    return 0;
}
