// Section 3: counting cost and scale. Real SSH sessions (separate TCP connections, notty, several
// non-root users) against a private sshd on 127.0.0.1, counted in-process with the agent's own
// counting function (agent/src/signals/sessions.ts listSessions: one /proc scan = one sample), with and
// without 10,000 unrelated `sleep` processes on the box. Every sample's count is checked against
// the known number; the blog's ps|grep|wc pipeline and the agent's `sessions --json` CLI (a fresh
// process) are timed on the same boxes for comparison.
import { readdirSync, readFileSync } from "node:fs";
import { KnownPids } from "../agent/src/system/known-pids";
import { listSessions } from "../agent/src/signals/sessions";
import { startSshd, SshdFixture } from "../tests/support/sshd";
import { BLOG_COUNT } from "./lib/cron";
import { BUNDLE } from "./lib/preflight";
import { OpenSession, openSession } from "./lib/ssh";
import { envList, envNumber, killGroup, log, max, median, onCleanup, percentile, run, spawnTracked, waitUntil } from "./lib/util";

interface ScaleRow {
    sessions: number;
    extraProcesses: number;
    pids: number;
    samples: number;
    medianMs: number;
    p95Ms: number;
    maxMs: number;
    /** The daemon's scan, remembering non-sshd pids from sample to sample (absent in older results). */
    rememberingMedianMs?: number;
    rememberingP95Ms?: number;
    /** Every sample counted exactly `sessions` (above the baseline). */
    exact: boolean;
    countsSeen: number[];
    blogPipelineMs: number;
    blogCount: number;
    cliSessionsMs: number;
}

export interface ScaleResult {
    baseline: number;
    users: number;
    rows: ScaleRow[];
}

function pidCount(): number {
    let n = 0;
    for (const name of readdirSync("/proc")) if (/^\d+$/.test(name)) n++;
    return n;
}

/** Children of pid from /proc/PID/task/PID/children. */
function childCount(pid: number): number {
    try {
        return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).length;
    } catch {
        return 0;
    }
}

async function measure(level: number, extra: number, baseline: number, samples: number, ours: (pid: number) => boolean): Promise<ScaleRow> {
    const times: number[] = [];
    const counts = new Set<number>();
    let exact = true;
    for (let i = 0; i < samples + 5; i++) {
        const t0 = process.hrtime.bigint();
        const list = listSessions("/proc");
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (i < 5) continue; // warm-up
        times.push(ms);
        counts.add(list.length - baseline);
        if (list.length - baseline !== level || list.filter((s) => ours(s.ppid)).length !== level) exact = false;
    }
    // The daemon's own path: the same scan remembering non-sshd pids between samples (agent/src/system/known-pids.ts).
    const known = new KnownPids();
    const remembering: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
        const t0 = process.hrtime.bigint();
        const list = listSessions("/proc", known);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (i < 5) continue;
        remembering.push(ms);
        counts.add(list.length - baseline);
        if (list.length - baseline !== level || list.filter((s) => ours(s.ppid)).length !== level) exact = false;
    }
    const blog: number[] = [];
    let blogCount = NaN;
    for (let i = 0; i < 5; i++) {
        const r = await run("/bin/sh", ["-c", BLOG_COUNT]);
        blog.push(r.wallMs);
        blogCount = Number(r.stdout.trim());
    }
    const cli: number[] = [];
    for (let i = 0; i < 5; i++) {
        const r = await run(process.execPath, [BUNDLE, "sessions", "--json"], { timeoutMs: 60000 });
        if (r.code !== 0) throw new Error(`sessions --json failed: ${r.stderr}`);
        const n = (JSON.parse(r.stdout) as { count: number }).count;
        if (n - baseline !== level) exact = false;
        cli.push(r.wallMs);
    }
    const row: ScaleRow = {
        sessions: level,
        extraProcesses: extra,
        pids: pidCount(),
        samples,
        medianMs: median(times),
        p95Ms: percentile(times, 95),
        maxMs: max(times),
        rememberingMedianMs: median(remembering),
        rememberingP95Ms: percentile(remembering, 95),
        exact,
        countsSeen: [...counts],
        blogPipelineMs: median(blog),
        blogCount,
        cliSessionsMs: median(cli),
    };
    log(
        `scale: ${level} sessions + ${extra} processes (${row.pids} pids): median ${row.medianMs.toFixed(2)} ms/sample, exact ${exact}, blog pipeline ${row.blogPipelineMs.toFixed(0)} ms (count ${blogCount})`,
    );
    return row;
}

export async function scale(): Promise<ScaleResult> {
    const levels = envList("BENCH_SCALE_SESSIONS", [1, 50, 500])
        .map(Math.round)
        .sort((a, b) => a - b);
    const procs = Math.round(envNumber("BENCH_SCALE_PROCESSES", 10000));
    const samples = Math.max(1, Math.round(envNumber("BENCH_SCALE_SAMPLES", 30)));
    const nUsers = 5;
    const fixture: SshdFixture = await startSshd();
    onCleanup(() => void fixture.stop());
    const sessions: OpenSession[] = [];
    let sleeper: ReturnType<typeof spawnTracked> | undefined;
    try {
        const users = Array.from({ length: nUsers }, () => fixture.addUser({ prefix: "isb" }));
        const sshdPid = fixture.pid as number;
        // A session process is ours when its parent (the [priv] monitor) is a child of our sshd.
        const ours = (ppid: number): boolean => {
            try {
                const st = readFileSync(`/proc/${ppid}/stat`, "utf8");
                return Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]) === sshdPid;
            } catch {
                return false;
            }
        };
        const baseline = listSessions("/proc").length;
        if (baseline > 0) log(`scale: ${baseline} SSH sessions already on this box; counts are checked above that baseline`);
        const openTo = async (n: number): Promise<void> => {
            const t0 = Date.now();
            while (sessions.length < n) {
                const batch = Math.min(16, n - sessions.length);
                const opened = await Promise.all(
                    Array.from({ length: batch }, (_, i) =>
                        openSession(fixture, users[(sessions.length + i) % nUsers], fixture.port, { pty: false, timeoutMs: 60000 }),
                    ),
                );
                sessions.push(...opened);
            }
            await waitUntil(() => listSessions("/proc").length - baseline === n, 30000, `${n} sessions counted`);
            log(`scale: ${n} sessions open (${((Date.now() - t0) / 1000).toFixed(1)} s to open)`);
        };
        const closeTo = async (n: number): Promise<void> => {
            const extra = sessions.splice(n);
            await Promise.all(extra.map((s) => s.close()));
            await waitUntil(() => listSessions("/proc").length - baseline === n, 30000, `${n} sessions counted after closing`);
        };
        const rows: ScaleRow[] = [];
        for (const level of levels) {
            await openTo(level);
            rows.push(await measure(level, 0, baseline, samples, ours));
        }
        if (procs > 0) {
            log(`scale: starting ${procs} unrelated sleep processes`);
            sleeper = spawnTracked("/bin/bash", ["-c", `for ((i=0;i<${procs};i++)); do sleep 7200 & done; wait`], {
                detached: true,
                stdio: "ignore",
            });
            const pgid = sleeper.pid as number;
            onCleanup(() => killGroup(pgid));
            await waitUntil(() => childCount(pgid) >= procs, 300000, `${procs} sleep processes`, 500);
            for (const level of [...levels].reverse()) {
                await closeTo(level);
                rows.push(await measure(level, procs, baseline, samples, ours));
            }
        }
        return { baseline, users: nUsers, rows };
    } finally {
        if (sleeper) killGroup(sleeper.pid);
        await Promise.all(sessions.map((s) => s.close()));
        await fixture.stop();
    }
}
