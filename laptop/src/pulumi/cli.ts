/**
 * Runs the Pulumi CLI for the laptop command: `pulumi` from PATH (npm and npx put this
 * repository's node_modules/.bin first), else this repository's node_modules/.bin/pulumi (the
 * `pulumi` npm package, which fetches the real CLI on first use). Always in the repository root,
 * where Pulumi.yaml is. Tests put a stand-in `pulumi` first on PATH.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { RuntimeError } from "../../../common/errors";
import { repoRoot } from "../repo-root";

/** This repository's `pulumi` npm package: a launcher that fetches the real CLI on first use. */
const npmLauncher = path.join(repoRoot, "node_modules", ".bin", "pulumi");

function executable(file: string): boolean {
    try {
        accessSync(file, constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/**
 * Whether the npm launcher has the real CLI: it keeps it in PULUMI_HOME (default ~/.pulumi) under
 * versions/VERSION/bin (node_modules/pulumi/lib/cache.js), VERSION = PULUMI_VERSION or its own.
 */
function launcherHasCli(env: NodeJS.ProcessEnv): boolean {
    let version = env.PULUMI_VERSION;
    try {
        version ||= (JSON.parse(readFileSync(path.join(repoRoot, "node_modules", "pulumi", "package.json"), "utf8")) as { version?: string }).version;
    } catch {
        return false;
    }
    const home = env.PULUMI_HOME || path.join(env.HOME || homedir(), ".pulumi");
    return version !== undefined && executable(path.join(home, "versions", version, "bin", "pulumi"));
}

const notInstalled =
    "the Pulumi CLI is not installed: there is no `pulumi` on PATH, and this repository's node_modules/.bin/pulumi " +
    "(from `npm ci`) could not fetch it; install it (https://www.pulumi.com/docs/install/) and put it on PATH";

function findPulumi(env: NodeJS.ProcessEnv = process.env): string {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, "pulumi");
        if (executable(candidate)) return candidate;
    }
    return npmLauncher;
}

interface PulumiRun {
    readonly code: number;
    readonly stdout: string;
}

/**
 * Runs pulumi. `capture`: stdout is collected (JSON output), stderr passes through; otherwise
 * all three streams are the user's (prompts, progress).
 */
export function runPulumi(args: string[], options: { capture: boolean; env?: NodeJS.ProcessEnv }): Promise<PulumiRun> {
    const env = options.env ?? process.env;
    const bin = findPulumi(env);
    // A failure of the npm launcher without a CLI is its failure to fetch one, not the stack's.
    const fetching = bin === npmLauncher && !launcherHasCli(env);
    if (fetching && !executable(npmLauncher)) return Promise.reject(new RuntimeError(notInstalled));
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, {
            cwd: repoRoot,
            env,
            stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
        });
        let stdout = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("error", (err) =>
            reject(new RuntimeError(fetching ? notInstalled : `cannot run ${bin}: ${err.message} (run \`npm ci\` in ${repoRoot})`)),
        );
        child.on("close", (code, signal) => {
            if (code !== 0 && fetching && !launcherHasCli(env)) reject(new RuntimeError(notInstalled));
            else resolve({ code: code ?? (signal ? 128 : 1), stdout });
        });
    });
}

/** `--stack NAME` for pulumi: the option, else IDLE_STOP_STACK (as npm run deploy uses), else none (the selected stack). */
export function stackArgs(stack: string | undefined): string[] {
    const name = stack ?? process.env.IDLE_STOP_STACK;
    return name ? ["--stack", name] : [];
}
