// The `install` step's command line: install.sh's (components/agent-commands.ts writes it) plus
// what the bootstrap found out (--node, --node-download).
import { UsageError } from "../../../common/errors";

export const INSTALL_USAGE =
    "usage: install.sh --release R --config-b64 BASE64_JSON [--credentials-stdin] [--node-dist-url URL] [--client-alive-interval N --client-alive-count-max N]";

/** sshd's ClientAlive settings for the drop-in. */
export interface ClientAlive {
    interval: number;
    countMax: number;
}

export interface InstallOptions {
    release: string;
    configB64: string;
    credentialsStdin: boolean;
    /** undefined: no drop-in (and an earlier one is removed). */
    clientAlive?: ClientAlive;
    /** The Node.js the service runs (the bootstrap found it, or it is $PREFIX/runtime/bin/node). */
    node: string;
    /** The bootstrap's temporary directory holding a downloaded runtime/ (moved in, then removed). */
    nodeDownload?: string;
}

const VALUED = ["--release", "--config-b64", "--node-dist-url", "--client-alive-interval", "--client-alive-count-max", "--node", "--node-download"];

function positive(value: string, message: string): number {
    if (!/^[0-9]+$/.test(value) || Number(value) <= 0) throw new UsageError(`${message}: ${value}`);
    return Number(value);
}

export function parseInstallArgs(argv: string[]): InstallOptions {
    const values = new Map<string, string>();
    let credentialsStdin = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--credentials-stdin") {
            credentialsStdin = true;
        } else if (VALUED.includes(a)) {
            if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
            values.set(a, argv[++i]);
        } else {
            throw new UsageError(`unknown argument: ${a}`);
        }
    }
    const release = values.get("--release") ?? "";
    if (release === "") throw new UsageError("--release is required");
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(release)) throw new UsageError(`--release must be letters, digits, '.', '_' or '-': ${release}`);
    const configB64 = values.get("--config-b64") ?? "";
    if (configB64 === "") throw new UsageError("--config-b64 is required");
    const node = values.get("--node") ?? "";
    if (!node.startsWith("/")) throw new UsageError("--node must name the Node.js to run the agent with (install.sh passes it)");
    // --node-dist-url: install.sh checked it and has used it; nothing is downloaded from here on.
    const interval = values.get("--client-alive-interval");
    const countMax = values.get("--client-alive-count-max");
    let clientAlive: InstallOptions["clientAlive"];
    if (interval !== undefined && interval !== "") {
        clientAlive = {
            interval: positive(interval, "--client-alive-interval must be a positive number of seconds"),
            countMax: positive(countMax || "3", "--client-alive-count-max must be a positive integer"),
        };
    } else if (countMax !== undefined && countMax !== "") {
        throw new UsageError("--client-alive-count-max needs --client-alive-interval");
    }
    return { release, configB64, credentialsStdin, clientAlive, node, nodeDownload: values.get("--node-download") };
}
