// Runs the laptop command the way users do: `node laptop/bin/idle-stop.js` (the package.json bin)
// on the bundle (laptop/dist/) `node laptop/build.mjs` produces, built once per mocha process from the sources.
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { shellQuote } from "../../components/agent-commands";
import { CommandResult } from "./sshd";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const launcher = path.join(repoRoot, "laptop", "bin", "idle-stop.js");

let built = false;
export function buildLaptopCommand(): void {
    if (built) return;
    execFileSync(process.execPath, [path.join(repoRoot, "laptop", "build.mjs")], { stdio: "pipe" });
    built = true;
}

export interface LaptopRunOptions {
    env?: NodeJS.ProcessEnv;
    input?: string | Buffer;
    timeoutMs?: number;
    cwd?: string;
}

/** Runs `idle-stop ARGS...` to completion. */
export function runLaptop(args: string[], opts: LaptopRunOptions = {}): Promise<CommandResult> {
    buildLaptopCommand();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [launcher, ...args], { env: opts.env ?? process.env, cwd: opts.cwd ?? repoRoot, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/** The shell-quoted command line ssh's ProxyCommand runs (ssh prepends `exec`). */
export function proxyCommand(args: string[]): string {
    return [process.execPath, launcher, "proxy", ...args].map(shellQuote).join(" ");
}
