// What idle tools and real work use of ONE core, measured the way the busy-process signal measures
// it (agent/src/signals/busy-processes.ts: utime+stime plus the ticks of children reaped, over a
// window; the busiest process of each workload's tree): the calibration of busyProcessPercent.
// Each workload runs in a tmux session of its own tmux server (so terminal tools have a terminal
// and the server's own redraw CPU is in the figure), all in one window side by side.
//   node -r ts-node/register/transpile-only bench/busy-work.ts      (BENCH_BUSY_SECONDS, default 60)
import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTicks } from "../agent/src/signals/busy-processes";

type Ticks = NonNullable<ReturnType<typeof parseTicks>>;

function snapshot(): Map<number, Ticks> {
    const m = new Map<number, Ticks>();
    for (const n of readdirSync("/proc")) {
        if (!/^\d+$/.test(n)) continue;
        try {
            const t = parseTicks(readFileSync(`/proc/${n}/stat`, "utf8"));
            if (t) m.set(Number(n), t);
        } catch {
            /* gone */
        }
    }
    return m;
}

/** Percent of one core per process between two snapshots, as the agent computes it. */
function percents(a: Map<number, Ticks>, b: Map<number, Ticks>, seconds: number): Map<number, number> {
    const gone = new Map<number, number>();
    for (const [pid, p] of a) {
        const c = b.get(pid);
        if (c?.start !== p.start) gone.set(p.ppid, (gone.get(p.ppid) ?? 0) + p.own + p.reaped);
    }
    const out = new Map<number, number>();
    for (const [pid, c] of b) {
        const p = a.get(pid);
        if (p?.start !== c.start) continue;
        out.set(pid, (c.own - p.own + Math.max(0, c.reaped - p.reaped - (gone.get(pid) ?? 0))) / seconds);
    }
    return out;
}

function tree(root: number, snap: Map<number, Ticks>): number[] {
    const kids = new Map<number, number[]>();
    for (const [pid, t] of snap) kids.set(t.ppid, [...(kids.get(t.ppid) ?? []), pid]);
    const out = [root];
    for (const pid of out) out.push(...(kids.get(pid) ?? [])); // visits what it appends
    return out;
}

function comm(pid: number): string {
    try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "?";
    }
}

/** A small C project built with make -j1 again and again. */
function cProject(): string {
    const dir = mkdtempSync(join(tmpdir(), "busy-work-c-"));
    const objs: string[] = [];
    for (let i = 0; i < 12; i++) {
        writeFileSync(
            join(dir, `f${i}.c`),
            `#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f${i}(int x){int s=0;for(int j=0;j<x;j++)s+=j*${i};return s;}\n`,
        );
        objs.push(`f${i}.o`);
    }
    writeFileSync(join(dir, "main.c"), "int main(void){return 0;}\n");
    writeFileSync(join(dir, "Makefile"), `CFLAGS=-O2\nall: prog\nprog: main.o ${objs.join(" ")}\n\t$(CC) -o $@ $^\nclean:\n\trm -f *.o prog\n`);
    return dir;
}

const realPython = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();

async function main(): Promise<void> {
    const seconds = Number(process.env.BENCH_BUSY_SECONDS ?? 60);
    const cdir = cProject();
    const workloads: Array<{ name: string; group: "idle" | "work"; cmd: string }> = [
        { name: "top", group: "idle", cmd: "top" },
        { name: "htop", group: "idle", cmd: "htop" },
        { name: "watch date", group: "idle", cmd: "watch date" },
        { name: "tmux, nothing running", group: "idle", cmd: "bash" },
        {
            name: "idle node http server (VS Code server stand-in)",
            group: "idle",
            cmd: `node -e "require('http').createServer((q, r) => r.end()).listen(0)"`,
        },
        { name: "idle python3 REPL (Jupyter kernel stand-in)", group: "idle", cmd: realPython },
        { name: "busy loop, one thread", group: "work", cmd: "bash -c 'while :; do :; done'" },
        { name: "make -j1, in a loop", group: "work", cmd: `bash -c 'cd ${cdir} && while :; do make -s clean; make -s -j1 >/dev/null; done'` },
    ];
    const socks = workloads.map((_, i) => `busy-work-${process.pid}-${i}`);
    try {
        workloads.forEach((w, i) => execFileSync("tmux", ["-L", socks[i], "new-session", "-d", "-x", "120", "-y", "40", w.cmd]));
        const roots = socks.map((s) => Number(execFileSync("tmux", ["-L", s, "display-message", "-p", "#{pid}"], { encoding: "utf8" }).trim()));
        await new Promise((r) => setTimeout(r, 5000)); // past start-up
        const a = snapshot();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, seconds * 1000));
        const b = snapshot();
        const pct = percents(a, b, (Date.now() - t0) / 1000);
        const rows = workloads.map((w, i) => {
            const pids = tree(roots[i], b);
            const top = pids.map((p) => ({ pid: p, comm: comm(p), percent: pct.get(p) ?? 0 })).sort((x, y) => y.percent - x.percent);
            const total = pids.reduce((s, p) => s + (pct.get(p) ?? 0), 0);
            return {
                workload: w.name,
                group: w.group,
                busiest: top[0]?.comm ?? "?",
                percent: +(top[0]?.percent ?? 0).toFixed(2),
                treePercent: +total.toFixed(2),
            };
        });
        process.stdout.write(`${JSON.stringify({ seconds, loadavg: readFileSync("/proc/loadavg", "utf8").trim(), rows }, null, 1)}\n\n`);
        process.stdout.write("| workload | busiest process | % of one core (busiest process) | whole tree |\n|---|---|---|---|\n");
        for (const r of rows) process.stdout.write(`| ${r.workload} | ${r.busiest} | ${r.percent} | ${r.treePercent} |\n`);
    } finally {
        for (const s of socks) {
            try {
                execSync(`tmux -L ${s} kill-server`, { stdio: "ignore" });
            } catch {
                /* gone */
            }
        }
        rmSync(cdir, { recursive: true, force: true });
    }
}
main().then(
    () => process.exit(0),
    (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
