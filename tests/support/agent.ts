// Runs the agent as a real child process in tests. The source is bundled once per mocha process
// with the same esbuild settings as agent/build.mjs into a temp dir (so tests always exercise the
// current source, not a stale agent/dist), and every temp dir/process is cleaned up on exit.
import type { AgentConfigFile } from "../../common/agent-config";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { collectResult, type CommandResult } from "./sshd";
import { join, resolve } from "node:path";

export const REPO = resolve(__dirname, "..", "..");
const tempDirs: string[] = [];
const children = new Set<ChildProcess>();
process.on("exit", () => {
    for (const c of children) {
        try {
            if (c.pid !== undefined) process.kill(c.pid, "SIGKILL");
        } catch {
            /* gone */
        }
    }
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = "idle-stop-test-"): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    tempDirs.push(d);
    return d;
}

let bundle: string | undefined;
/** Path of a fresh single-file bundle of agent/src/main.ts. */
export function agentBundle(): string {
    if (bundle) return bundle;
    const dir = tempDir("idle-stop-agent-build-");
    const out = join(dir, "idle-stop-agent.js");
    // The same build as `npm run build`, into a directory of the tests' own (agent/dist may be in use).
    execFileSync(process.execPath, [join(REPO, "agent", "build.mjs"), "--outdir", dir], { stdio: ["ignore", "ignore", "inherit"] });
    bundle = out;
    return out;
}

/** agent.json as tests write it: the real keys, plus any other (to test that the agent rejects it). */
export type AgentConfig = AgentConfigFile & Record<string, unknown>;

/**
 * A temp state dir + config file. A synthetic procRoot comes with an empty devRoot unless the test
 * gives one: the machine's real terminals (other test files' sessions, running in parallel) must
 * not count as other terminals in use for an agent that sees no real session.
 */
export function writeConfig(cfg: AgentConfig, dir = tempDir()): { dir: string; path: string; stateDir: string; holdsDir: string } {
    const stateDir = cfg.stateDir ?? join(dir, "state");
    const holdsDir = cfg.holdsDir ?? join(stateDir, "holds");
    mkdirSync(holdsDir, { recursive: true, mode: 0o1777 });
    let devRoot = cfg.devRoot;
    if (devRoot === undefined && cfg.procRoot !== undefined) {
        devRoot = join(dir, "dev");
        mkdirSync(devRoot, { mode: 0o755 });
    }
    const path = join(dir, "agent.json");
    writeFileSync(path, JSON.stringify({ ...cfg, stateDir, holdsDir: cfg.holdsDir, devRoot }, null, 2));
    return { dir, path, stateDir, holdsDir };
}

/** What a finished agent run left: the same shape as an ssh client's result. */
export type RunResult = CommandResult;

export function runAgent(
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; script?: string; timeoutMs?: number; cwd?: string; uid?: number; gid?: number } = {},
): Promise<RunResult> {
    const child = spawn(process.execPath, [opts.script ?? agentBundle(), ...args], {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        uid: opts.uid,
        gid: opts.gid,
        stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    return collectResult(child, opts.timeoutMs ?? 30000).finally(() => children.delete(child));
}

/** A running `run` daemon. */
export class Daemon {
    stderr = "";
    readonly child: ChildProcess;
    private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

    constructor(configPath: string, env: NodeJS.ProcessEnv, script = agentBundle(), as: { uid?: number; gid?: number } = {}) {
        this.child = spawn(process.execPath, [script, "run", "--config", configPath], {
            env,
            uid: as.uid,
            gid: as.gid,
            stdio: ["ignore", "pipe", "pipe"],
        });
        children.add(this.child);
        this.child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
        this.child.stdout?.on("data", (d: Buffer) => (this.stderr += d.toString()));
        this.exited = new Promise((r) =>
            this.child.on("close", (code, signal) => {
                children.delete(this.child);
                r({ code, signal });
            }),
        );
    }

    /** Log lines with this event=. */
    events(event: string): string[] {
        return this.stderr.split("\n").filter((l) => l.includes(`event=${event}`));
    }

    async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
        this.child.kill(signal);
        const t = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
        const r = await this.exited;
        clearTimeout(t);
        return r;
    }

    wait(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
        return this.exited;
    }
}
