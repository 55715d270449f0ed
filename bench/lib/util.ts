// Shared helpers for the benchmark harness: cleanup registry, /proc readers, statistics, RNG.
import { ChildProcess, spawn, SpawnOptions } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

// Loopback and polling helpers are the test fixture's own, so bench and tests probe sshd alike.
export { freePort, sleep, sshBanner, waitUntil } from "../../tests/support/sshd";
import type { CommandResult } from "../../tests/support/sshd";

// ---- cleanup: everything the harness starts is registered here and undone on every exit path ----

type Cleanup = () => void;
const cleanups = new Map<number, Cleanup>();
let nextCleanupId = 1;
let handlersInstalled = false;

/** Registers a synchronous cleanup; returns a function that runs it now and unregisters it. */
export function onCleanup(fn: Cleanup): () => void {
    installHandlers();
    const id = nextCleanupId++;
    cleanups.set(id, fn);
    return () => {
        if (cleanups.delete(id)) safely(fn);
    };
}

function safely(fn: Cleanup): void {
    try {
        fn();
    } catch {
        /* best effort */
    }
}

export function runAllCleanups(): void {
    const list = [...cleanups.values()].reverse();
    cleanups.clear();
    for (const fn of list) safely(fn);
}

function installHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", runAllCleanups);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(sig, () => {
            runAllCleanups();
            process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
        });
    }
}

export function killQuiet(pid: number | undefined, sig: NodeJS.Signals = "SIGKILL"): void {
    if (pid === undefined) return;
    try {
        process.kill(pid, sig);
    } catch {
        /* already gone */
    }
}

/** Kills a whole process group (a child spawned with detached: true leads its own group). */
export function killGroup(pgid: number | undefined, sig: NodeJS.Signals = "SIGKILL"): void {
    if (pgid === undefined) return;
    try {
        process.kill(-pgid, sig);
    } catch {
        /* already gone */
    }
}

/** A temp dir removed at cleanup. */
export function tempDirCleanup(dir: string): void {
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
}

/** Spawns a child that is SIGKILLed at cleanup if still running. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn(cmd, args, opts);
    const undo = onCleanup(() => {
        if (child.exitCode === null && child.signalCode === null) {
            if (opts.detached) killGroup(child.pid);
            killQuiet(child.pid);
        }
    });
    child.on("exit", () => undo());
    return child;
}

export interface RunResult extends CommandResult {
    wallMs: number;
}

/** Runs a command to completion (killed after timeoutMs), collecting output. Never blocks the event loop. */
export function run(cmd: string, args: string[], opts: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const child = spawnTracked(cmd, args, { ...opts, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => killQuiet(child.pid), opts.timeoutMs ?? 120000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 });
        });
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(opts.input ?? "");
    });
}

// ---- /proc ----

/** USER_HZ on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcCpu {
    /** utime + stime of the process itself, seconds. */
    self: number;
    /** cutime + cstime: its waited-for children, seconds. */
    children: number;
}

export function procCpu(pid: number): ProcCpu | null {
    let s: string;
    try {
        s = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return null;
    }
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // f[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17.
    const n = (field: number): number => Number(f[field - 3]);
    return { self: (n(14) + n(15)) / TICKS_PER_SECOND, children: (n(16) + n(17)) / TICKS_PER_SECOND };
}

export interface ProcMem {
    rssKb: number;
    hwmKb: number;
}

export function procMem(pid: number): ProcMem | null {
    try {
        const t = readFileSync(`/proc/${pid}/status`, "utf8");
        return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(t)?.[1] ?? NaN), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(t)?.[1] ?? NaN) };
    } catch {
        return null;
    }
}

// ---- statistics and formatting ----

export function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN;
    const s = [...values].sort((a, b) => a - b);
    const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
    return s[i];
}

export function median(values: number[]): number {
    if (values.length === 0) return NaN;
    const s = [...values].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(values: number[]): number {
    return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Rounds to `digits` significant digits (for tables). */
export function sig(x: number, digits = 3): string {
    if (!Number.isFinite(x)) return "n/a";
    if (x === 0) return "0";
    const r = Number(x.toPrecision(digits));
    return Math.abs(r) >= 10 ** digits ? String(Math.round(r)) : String(r);
}

/** mulberry32: a small seeded PRNG, so a run's random offsets can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export function envNumber(name: string, dflt: number): number {
    const v = process.env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative number`);
    return n;
}

export function envList(name: string, dflt: number[]): number[] {
    const v = process.env[name];
    if (v === undefined || v === "") return dflt;
    const list = v.split(",").map((x) => Number(x.trim()));
    if (list.some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`${name}=${v}: expected comma-separated numbers`);
    return list;
}

export function log(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function max(values: number[]): number {
    return values.reduce((a, b) => Math.max(a, b), -Infinity);
}

/** First child pid of pid (from /proc/PID/task/PID/children), or undefined. */
export function firstChild(pid: number | undefined): number | undefined {
    if (pid === undefined) return undefined;
    try {
        const c = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0];
        return c ? Number(c) : undefined;
    } catch {
        return undefined;
    }
}
