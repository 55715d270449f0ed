// Runs the laptop command the way users do: `node laptop/bin/idle-stop.js` (the package.json bin)
// on the bundle (laptop/dist/) `node laptop/build.mjs` produces, built once per mocha process from the sources.
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import { shellQuote } from "../../common/shell-quote";
import { collectResult, CommandResult } from "./sshd";

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
