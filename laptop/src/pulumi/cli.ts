/**
 * Runs the Pulumi CLI for the laptop command: `pulumi` from PATH (npm and npx put this
 * repository's node_modules/.bin first), else this repository's node_modules/.bin/pulumi (the
 * `pulumi` npm package, which fetches the real CLI on first use). Always in the repository root,
 * where Pulumi.yaml is. Tests put a stand-in `pulumi` first on PATH.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
import { RuntimeError } from "../../../common/errors";
import { repoRoot } from "../repo-root";

function findPulumi(env: NodeJS.ProcessEnv = process.env): string {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, "pulumi");
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            /* not here */
        }
    }
    return path.join(repoRoot, "node_modules", ".bin", "pulumi");
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
    const bin = findPulumi();
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, {
            cwd: repoRoot,
            env: options.env ?? process.env,
            stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
        });
        let stdout = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("error", (err) => reject(new RuntimeError(`cannot run ${bin}: ${err.message} (run \`npm ci\` in ${repoRoot})`)));
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
    });
}

/** `--stack NAME` for pulumi: the option, else IDLE_STOP_STACK (as npm run deploy uses), else none (the selected stack). */
export function stackArgs(stack: string | undefined): string[] {
    const name = stack ?? process.env.IDLE_STOP_STACK;
    return name ? ["--stack", name] : [];
}
