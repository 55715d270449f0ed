// The agent with one economy undone: a build with a bench/variants/ module in place of the agent's
// own (agent/build.mjs --swap), or the shipped bundle run without the service's node flags. The
// footprint section runs them side by side with the shipped agent to price each lever.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { serviceNodeFlags } from "../../tests/support/service-flags";
import { BUNDLE, REPO } from "./preflight";

export interface Lever {
    /** Short name for tables. */
    name: string;
    /** What the shipped agent does instead. */
    what: string;
    /** Module swaps (agent source -> bench variant) that undo it; none for the node flags. */
    swaps: Array<[string, string]>;
    /** Undone by running node without the service's flags. */
    flags?: true;
}

export const LEVERS: Lever[] = [
    { name: "node flags", what: "node --lite-mode (no optimizing compiler), as the service starts it", swaps: [], flags: true },
    {
        name: "small publisher",
        what: "@smithy/signature-v4 + node:https + env/file/IMDS credentials instead of @aws-sdk/client-cloudwatch",
        swaps: [["agent/src/publish/aws/sink.ts", "bench/variants/sdk-sink.ts"]],
    },
    {
        name: "keep-alive",
        what: "one TLS connection kept between publishes instead of a handshake each minute",
        swaps: [["agent/src/publish/aws/connection.ts", "bench/variants/no-keepalive-connection.ts"]],
    },
    {
        name: "cheap /proc reads",
        what: "open + one read into a reused buffer instead of readFileSync",
        swaps: [["agent/src/system/proc-read.ts", "bench/variants/readfile-procread.ts"]],
    },
    {
        name: "known pids",
        what: "non-sshd pids remembered: skipped with no syscall unless the kernel may have reused the pid (fork counter, pid cursor), then one stat of /proc/PID instead of reading comm",
        swaps: [["agent/src/system/known-pids.ts", "bench/variants/no-knownpids.ts"]],
    },
    {
        name: "status on change",
        what: "status file written when it changes / once a publish period instead of every sample",
        swaps: [["agent/src/daemon/status-writer.ts", "bench/variants/status-every-sample.ts"]],
    },
];

export interface AgentVariant {
    name: string;
    /** The lever this variant undoes; null for the shipped agent, "all" for every lever undone. */
    lever: string | null;
    bundle: string;
    nodeArgs: string[];
}

function buildWith(swaps: Array<[string, string]>, dir: string): string {
    execFileSync(
        process.execPath,
        [join(REPO, "agent", "build.mjs"), "--outdir", dir, ...swaps.flatMap(([from, to]) => ["--swap", `${join(REPO, from)}=${join(REPO, to)}`])],
        { stdio: ["ignore", "ignore", "inherit"] },
    );
    return join(dir, "idle-stop-agent.js");
}

/** The shipped agent, then one variant per lever with that lever undone, then all undone. */
export function agentVariants(dir: string, withLevers: boolean): AgentVariant[] {
    const flags = serviceNodeFlags();
    const out: AgentVariant[] = [{ name: "shipped agent", lever: null, bundle: BUNDLE, nodeArgs: flags }];
    if (!withLevers) return out;
    for (const [i, l] of LEVERS.entries()) {
        out.push({
            name: `without ${l.name}`,
            lever: l.name,
            bundle: l.swaps.length ? buildWith(l.swaps, join(dir, `lever-${i}`)) : BUNDLE,
            nodeArgs: l.flags ? [] : flags,
        });
    }
    out.push({
        name: "all levers undone (the agent before)",
        lever: "all",
        bundle: buildWith(
            LEVERS.flatMap((l) => l.swaps),
            join(dir, "lever-all"),
        ),
        nodeArgs: [],
    });
    return out;
}
