// Runs the laptop command the way users do: `node laptop/bin/idle-stop.js` (the package.json bin)
// on the bundle (laptop/dist/) `node laptop/build.mjs` produces: built once by tests/run-tiers.mjs, or
// once per mocha process when a test file runs alone.
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { shellQuote } from "../../common/shell-quote";
import { collectResult, CommandResult } from "./sshd";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const launcher = path.join(repoRoot, "laptop", "bin", "idle-stop.js");

/** tests/run-tiers.mjs builds once for every worker (a rebuild would delete chunks other workers run). */
let built = process.env.IDLE_STOP_LAPTOP_BUILT === "1";
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
    const child = spawn(process.execPath, [launcher, ...args], {
        env: opts.env ?? process.env,
        cwd: opts.cwd ?? repoRoot,
        stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
    return collectResult(child, opts.timeoutMs ?? 60000);
}

/** The shell-quoted command line ssh's ProxyCommand runs (ssh prepends `exec`). */
export function proxyCommand(args: string[]): string {
    return [process.execPath, launcher, "proxy", ...args].map(shellQuote).join(" ");
}
