// Renders bench/RESULTS.md from one run's figures.
import type { BundleResult } from "./bundle";
import type { DetectionResult } from "./detection";
import type { AgentFootprint, FootprintResult } from "./footprint";
import type { Machine } from "./lib/machine";
import type { Tools } from "./lib/preflight";
import { sig } from "./lib/util";
import { LEVERS } from "./lib/variants";
import type { ProgramResult } from "./program";
import type { ScaleResult } from "./scale";

export interface Results {
    date: string;
    command: string;
    env: Record<string, string>;
    machine: Machine;
    tools: Tools;
    durationSeconds: number;
    bundle?: BundleResult;
    program?: ProgramResult;
    scale?: ScaleResult;
    detection?: DetectionResult;
    footprint?: FootprintResult;
}

const mib = (kb: number): string => `${sig(kb / 1024)} MiB`;
const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : "n/a");
const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a / b) ? `${sig(a / b)}x` : "n/a");

function share(seen: number, trials: number): string {
    return trials === 0 ? "n/a" : `${seen}/${trials} (${pct(seen / trials)})`;
}

/** For each agent variant: sessions at least 2 x sampleSeconds long, and how many were seen. */
function longEnough(d: DetectionResult): Array<{ name: string; interval: number; trials: number; seen: number }> {
    return d.variants.map((v) => {
        const of = d.sessions.filter((s) => s.length >= 2 * v.intervalSeconds);
        return { name: v.name, interval: v.intervalSeconds, trials: of.length, seen: of.filter((s) => s.seen[v.name]).length };
    });
}

/** The short table for README (and the report to the lead). */
function summaryTable(r: Results): string {
    const rows: string[] = [
        "| | blog's cron (`ps \\| grep [priv]` + `aws put-metric-data` every minute) | idle-stop agent (defaults) | ratio |",
        "|---|---|---|---|",
    ];
    const f = r.footprint;
    if (f) {
        const [v1, v2] = f.cron;
        rows.push(
            `| CPU per hour (user+sys, children incl.) | ${sig(v1.cpuSecondsPerHour)} s (CLI v1), ${sig(v2.cpuSecondsPerHour)} s (CLI v2) | ${sig(f.agent.cpuSecondsPerHour)} s | agent uses ${ratio(v1.cpuSecondsPerHour, f.agent.cpuSecondsPerHour)} (v1) / ${ratio(v2.cpuSecondsPerHour, f.agent.cpuSecondsPerHour)} (v2) less |`,
        );
        rows.push(`| peak RSS | ${mib(v1.peakRssKb)} (v1), ${mib(v2.peakRssKb)} (v2), each minute | ${mib(f.agent.peakRssKb)}, resident | |`);
    }
    const d = r.detection;
    if (d) {
        const cron = d.variants[d.variants.length - 1].name;
        const agent10 = d.variants.find((v) => v.intervalSeconds === 10)?.name ?? d.variants[0].name;
        for (const len of [15, 30]) {
            const row = d.rows.find((x) => x.length === len);
            if (row)
                rows.push(
                    `| ${len}-s SSH sessions seen in the published Maximum | ${share(row.seen[cron], row.trials)} | ${share(row.seen[agent10], row.trials)} | |`,
                );
        }
        const long = longEnough(d).filter((x) => x.name.startsWith("agent"));
        const all = long.every((x) => x.seen === x.trials);
        rows.push(
            `| sessions >= 2 x sampleSeconds seen (sampleSeconds ${long.map((x) => x.interval).join("/")}) | | ${long.map((x) => `${x.seen}/${x.trials}`).join(", ")}${all ? " (all)" : ""} | |`,
        );
    }
    const s = r.scale;
    if (s) {
        const at500 = s.rows.find((x) => x.sessions === Math.max(...s.rows.map((y) => y.sessions)) && x.extraProcesses === 0);
        const big = s.rows.find((x) => x.sessions === at500?.sessions && x.extraProcesses > 0);
        if (at500)
            rows.push(
                `| one count at ${at500.sessions} sessions | ${sig(at500.blogPipelineMs)} ms (ps pipeline) | ${sig(at500.medianMs)} ms (in-process), exact: ${at500.exact ? "yes" : "NO"} | ${ratio(at500.blogPipelineMs, at500.medianMs)} faster |`,
            );
        if (big)
            rows.push(
                `| same, plus ${big.extraProcesses.toLocaleString("en")} other processes | ${sig(big.blogPipelineMs)} ms | ${sig(big.medianMs)} ms, exact: ${big.exact ? "yes" : "NO"} | ${ratio(big.blogPipelineMs, big.medianMs)} faster |`,
            );
    }
    const b = r.bundle;
    if (b) rows.push(`| install size / cold \`sessions\` | AWS CLI + Python | ${sig(b.bytes / 1024)} KiB, one file; ${sig(b.sessionsColdMs)} ms | |`);
    return rows.join("\n");
}

/** What each economy is worth: the shipped agent against itself with that one lever undone, same window. */
function leverTable(f: FootprintResult): string[] {
    const a = f.agent;
    const v1 = f.cron[0];
    const levers = f.levers ?? [];
    const out: string[] = [];
    out.push("### What each lever is worth", "");
    out.push(
        `In the same ${sig(a.minutes)}-min window as the shipped agent, one daemon per lever ran with that lever undone (bench/lib/variants.ts: the agent built with the old module in its place, or node without the service's flags), and one with all of them undone (what the agent was before). ` +
            "Each row's CPU per hour is measured as above; the lever's worth is the difference to the shipped agent. Ticks are 10 ms, so differences below ~0.1 s per hour are noise.",
        "",
    );
    out.push("| lever | what the shipped agent does |", "|---|---|");
    for (const l of LEVERS) out.push(`| ${l.name} | ${l.what} |`);
    out.push("");
    out.push(
        "| agent | CPU per hour | lever saves (CPU) | peak RSS | lever saves (RSS) | bundle | cron + AWS CLI v1 uses |",
        "|---|---|---|---|---|---|---|",
    );
    const row = (x: AgentFootprint, label: string): string =>
        `| ${label} | ${sig(x.cpuSecondsPerHour)} s (steady ${sig(x.steadyCpuSecondsPerHour)} s) | ${x === a ? "-" : `${sig(x.cpuSecondsPerHour - a.cpuSecondsPerHour)} s (${pct((x.cpuSecondsPerHour - a.cpuSecondsPerHour) / x.cpuSecondsPerHour)})`} | ${mib(x.peakRssKb)} | ${x === a ? "-" : mib(x.peakRssKb - a.peakRssKb)} | ${sig((x.bundleBytes ?? 0) / 1024)} KiB | ${ratio(v1.cpuSecondsPerHour, x.cpuSecondsPerHour)} |`;
    out.push(row(a as AgentFootprint, "**shipped agent** (every lever)"));
    for (const x of levers) out.push(row(x, x.lever === "all" ? "all levers undone (the agent before)" : `without: ${x.lever}`));
    return out;
}

export function renderResults(r: Results): string {
    const m = r.machine;
    const out: string[] = [];
    out.push("# Benchmark results", "");
    out.push(`Produced by \`${r.command}\` on ${r.date.slice(0, 10)} (${r.date}); the whole run took ${Math.round(r.durationSeconds / 60)} min.`);
    out.push("Benchmarks report, they assert no times. Absolute times on a shared 2-core machine are noise; read the ratios.", "");
    out.push("## Machine", "");
    out.push(`- CPU: ${m.cpuModel}, ${m.cores} cores; memory ${m.memoryGiB} GiB`);
    out.push(`- OS: ${m.os}, kernel ${m.kernel}; Node.js ${m.node}`);
    out.push(`- OpenSSH: ${r.tools.sshVersion}`);
    if (r.tools.awsV1) out.push(`- AWS CLI v1 (pip, the blog's tool): ${r.tools.awsV1Version} at \`${r.tools.awsV1}\``);
    if (r.tools.awsV2) out.push(`- AWS CLI v2 (Debian \`awscli\`): ${r.tools.awsV2Version} at \`${r.tools.awsV2}\``);
    const envs = Object.entries(r.env);
    out.push(`- settings: ${envs.length === 0 ? "defaults (no BENCH_* overrides)" : envs.map(([k, v]) => `\`${k}=${v}\``).join(", ")}`);
    out.push("", "## Summary", "", summaryTable(r), "");

    const f = r.footprint;
    if (f) {
        out.push("## 1. Footprint per hour on the instance", "");
        out.push(
            `The agent daemon ran at default settings (sampleSeconds 10, publishSeconds 60, one re-armed alarm) for ${sig(f.agent.minutes)} min on a quiet box, ` +
                "publishing to the local CloudWatch endpoint. CPU is utime+stime+cutime+cstime from `/proc/PID/stat`, peak RSS is `VmHWM`. " +
                `Per hour = the steady rate after the first minute x 60 min + one start-up (the first minute's CPU): that is the figure used for ratios, ` +
                `as if the box were started every hour. Scaling the whole ${sig(f.agent.minutes)}-min window linearly instead (a start-up every ${sig(f.agent.minutes)} min) gives ${sig(f.agent.scaledCpuSecondsPerHour)} s per hour.`,
        );
        out.push(
            `The cron approach ran the exact cron command \`/bin/sh -c '<aws> cloudwatch put-metric-data ... --value $(ps -A x | grep sshd | grep "\\[priv\\]" | wc -l) ...'\` ` +
                `${f.cron[0].runs} times per CLI, sequentially, each under GNU time (\`/usr/bin/time -f "%U %S %M"\`: user+sys of the shell and everything it waited for; ` +
                "%M is the peak RSS of the largest of those processes); per hour = mean per run x 60. Not charged to cron: the cron daemon itself. " +
                "The pip CLI is run directly (a pyenv shim is resolved first, so its bash start-up is not charged). Both CLIs got `--endpoint-url` and `--region`; the instance id is inlined (no IMDS lookup).",
            "",
        );
        out.push("| | runs / window | CPU per run | CPU per hour | peak RSS | wall per run | datapoints accepted |", "|---|---|---|---|---|---|---|");
        for (const c of f.cron) {
            out.push(
                `| cron + ${c.cli} | ${c.runs} runs | ${sig(c.cpuSecondsPerRun)} s | ${sig(c.cpuSecondsPerHour)} s | ${mib(c.peakRssKb)} | ${sig(c.wallSecondsPerRun)} s | ${c.published} |`,
            );
        }
        const a = f.agent;
        out.push(
            `| idle-stop agent | ${sig(a.minutes)} min | start-up ${sig(a.startupCpuSeconds)} s (first minute) | ${sig(a.cpuSecondsPerHour)} s (steady ${sig(a.steadyCpuSecondsPerHour)} s + one start-up) | ${mib(a.peakRssKb)} (now ${mib(a.lastRssKb)}) | - | ${a.published} |`,
        );
        out.push("");
        for (const c of f.cron) {
            out.push(
                `- cron + ${c.cli} uses **${ratio(c.cpuSecondsPerHour, a.cpuSecondsPerHour)}** the agent's CPU per hour (steady state only: ${ratio(c.cpuSecondsPerHour, a.steadyCpuSecondsPerHour)}; window scaled linearly: ${ratio(c.cpuSecondsPerHour, a.scaledCpuSecondsPerHour)}).`,
            );
        }
        const worst = Math.min(...f.cron.map((c) => c.cpuSecondsPerHour / a.cpuSecondsPerHour));
        out.push(
            `- Target "at least 25x less CPU per hour than the cron approach": ${worst >= 25 ? "**met**" : "**NOT met**"} (${sig(worst)}x against the cheaper cron, AWS CLI v1; stretch 40x).`,
        );
        out.push(
            `- Target "peak RSS under 50 MiB": ${a.peakRssKb < 50 * 1024 ? "**met**" : "**NOT met**"} (peak ${mib(a.peakRssKb)} = ${a.peakRssKb.toLocaleString("en")} kB of 51,200; stretch 45 MiB).`,
        );
        if (a.nodeArgs)
            out.push(
                `- The agent ran as the service starts it: \`node ${[...a.nodeArgs, "idle-stop-agent.js", "run"].join(" ")}\`; it published over HTTPS and opened ${a.connections ?? "?"} TLS connection(s) in the window (the endpoint closes idle connections after ${f.endpointIdleSeconds ?? 5} s).`,
            );
        out.push(
            `- Resolution: CPU times are counted in 10-ms ticks (${Math.round(a.cpuSeconds * 100)} ticks in this window); set BENCH_FOOTPRINT_MINUTES=60 for a tighter figure.`,
            "",
        );
        if (f.levers && f.levers.length > 0) out.push(...leverTable(f), "");
    }

    const d = r.detection;
    if (d) {
        out.push("## 2. Short-session detection", "");
        out.push(
            `${d.sessions.length} real SSH sessions (\`ssh -tt\`, a non-root user: the blog's \`[priv]\` count misses root logins) of ${d.rows.map((x) => x.length).join(", ")} s at random offsets ` +
                `(seed ${d.seed}; \`BENCH_SEED=${d.seed}\` replays them), over ${d.minutes} min on ${d.lanes} independent lanes. ` +
                "A lane is a PID namespace with its own sshd, agents and cron job, so each sees only its own sessions in /proc; within a lane sessions never overlap and are " +
                `at least publishSeconds + 4 s apart, so each published datapoint belongs to at most one session. A session is seen when a datapoint whose period overlaps it (±1 s) has Maximum >= 1. ` +
                `Length = from the remote command running to the client's exit.`,
        );
        out.push(
            `The agents (the real \`run\` daemon) use sampleSeconds ${d.variants
                .filter((v) => v.name.startsWith("agent"))
                .map((v) => v.intervalSeconds)
                .join(", ")} with publishSeconds ${d.publishSeconds} instead of 60 (so datapoints are attributable in a short run): ` +
                "whether a session is seen depends only on whether a sample falls inside it, i.e. on session length / sampleSeconds, which is unchanged; the per-minute Maximum of the same samples sees exactly the same sessions. " +
                `The cron job is the real cron line (AWS CLI v1) fired at every ${d.cronSeconds}-s boundary, as cron does. Expected = min(1, length / sampling interval).`,
            "",
        );
        out.push(`| session length | trials | ${d.variants.map((v) => v.name).join(" | ")} |`, `|---|---|${d.variants.map(() => "---|").join("")}`);
        for (const row of d.rows) {
            out.push(
                `| ${row.length} s | ${row.trials} | ${d.variants.map((v) => `${share(row.seen[v.name], row.trials)}, expected ${pct(row.expected[v.name])}`).join(" | ")} |`,
            );
        }
        out.push("");
        for (const x of longEnough(d)) {
            if (!x.name.startsWith("agent")) continue;
            out.push(
                `- ${x.name}: sessions >= ${2 * x.interval} s seen: ${share(x.seen, x.trials)}${x.trials > 0 && x.seen === x.trials ? " (target met)" : x.trials > 0 ? " (**target NOT met**)" : ""}`,
            );
        }
        const cronLong = longEnough(d).find((x) => !x.name.startsWith("agent"));
        if (cronLong && cronLong.trials > 0)
            out.push(`- ${cronLong.name}: sessions >= ${2 * cronLong.interval} s seen: ${share(cronLong.seen, cronLong.trials)}`);
        out.push(
            "- Short sessions are seen a little more often than expected: sshd's session process lives slightly longer than the measured length (from authentication to the ready marker, and its teardown after the client exits).",
        );
        out.push(
            `- datapoints with Maximum >= 1 that no session explains: ${Object.entries(d.unattributed)
                .map(([k, v]) => `${k} ${v}`)
                .join(", ")}`,
        );
        if (d.failures.length > 0) out.push(`- problems during the run (${d.failures.length}): ${d.failures.slice(0, 5).join("; ")}`);
        out.push("");
    }

    const s = r.scale;
    if (s) {
        out.push("## 3. Counting cost and scale", "");
        out.push(
            "Real SSH sessions (separate TCP connections, `ssh -T ... 'exec sleep'`, spread over " +
                `${s.users} non-root users) to a private sshd on 127.0.0.1; \`extra processes\` are unrelated \`sleep\` processes. One sample = one call of the agent's counting function ` +
                "(`listSessions` from agent/src/signals/sessions.ts, in-process, one /proc scan), timed after 5 warm-up calls, once scanning everything (the CLI's path) and once remembering non-sshd pids from call to call (the daemon's path, agent/src/knownpids.ts); every sample's count was compared with the known number of sessions " +
                `(${s.baseline} pre-existing sessions subtracted). For comparison: the blog's \`ps -A x | grep sshd | grep "\\[priv\\]" | wc -l\` (median of 5, a fresh shell each) and the agent CLI's \`sessions --json\` (a fresh node process each, median of 5).`,
            "",
        );
        out.push(
            "| sessions | extra processes | pids on box | agent per sample: median / p95 / max | daemon's scan, remembering pids: median / p95 | count exact | blog pipeline (count) | ratio | `sessions --json` CLI |",
            "|---|---|---|---|---|---|---|---|---|",
        );
        for (const x of s.rows) {
            const rem = x.rememberingMedianMs === undefined ? "n/a" : `${sig(x.rememberingMedianMs)} / ${sig(x.rememberingP95Ms ?? NaN)} ms`;
            out.push(
                `| ${x.sessions} | ${x.extraProcesses.toLocaleString("en")} | ${x.pids.toLocaleString("en")} | ${sig(x.medianMs)} / ${sig(x.p95Ms)} / ${sig(x.maxMs)} ms | ${rem} | ${x.exact ? "yes" : `NO (${x.countsSeen.join(",")})`} | ${sig(x.blogPipelineMs)} ms (${x.blogCount}) | ${ratio(x.blogPipelineMs, x.medianMs)} | ${sig(x.cliSessionsMs)} ms |`,
            );
        }
        const top = s.rows.filter((x) => x.sessions === Math.max(...s.rows.map((y) => y.sessions)));
        out.push(
            "",
            `- Target "under 50 ms per sample at 500 sessions": ${top.map((x) => `${sig(x.medianMs)} ms median / ${sig(x.p95Ms)} ms p95 with ${x.extraProcesses} extra processes`).join("; ")} -> ${top.every((x) => x.p95Ms < 50) ? "**met**" : top.some((x) => x.extraProcesses === 0 && x.p95Ms < 50) ? "**met** without the extra processes" : "**NOT met**"}.`,
        );
        out.push(`- Counts exact in every sample: ${s.rows.every((x) => x.exact) ? "yes" : "**no**"}.`, "");
    }

    const p = r.program;
    if (p) {
        out.push("## 4. Program scale", "");
        out.push(
            `Time to evaluate the Pulumi program (index.ts) on Pulumi's mocks for a fleet (\`idle-stop:instances\`, half adopted, half created), median of ${p.repeats} runs after a warm-up run, in a separate node process (bench/program-scale.ts).`,
            "",
        );
        out.push("| instances | resources | median | per instance | vs 1 instance |", "|---|---|---|---|---|");
        const one = p.results[0];
        for (const x of p.results)
            out.push(
                `| ${x.instances} | ${x.resources} | ${x.medianMs} ms | ${sig(x.msPerInstance)} ms | ${ratio(x.medianMs, one.medianMs)} time for ${x.instances / one.instances}x instances |`,
            );
        out.push(
            "",
            `- Growth: ${sig(p.marginalMsPerInstance)} ms per additional instance (linear: ${p.results.length > 1 ? `${sig(p.results[p.results.length - 1].msPerInstance)} ms/instance at ${p.results[p.results.length - 1].instances}` : "n/a"}).`,
            "",
        );
    }

    const b = r.bundle;
    if (b) {
        out.push("## 5. Bundle", "");
        out.push(
            `| agent/dist/idle-stop-agent.js | gzip | cold \`sessions --json\` (median of ${b.runs}, min) | bare \`node -e 0\` | agent's own start-up | blog's ps pipeline |`,
            "|---|---|---|---|---|---|",
        );
        out.push(
            `| ${b.bytes.toLocaleString("en")} bytes (${sig(b.bytes / 1024)} KiB) | ${sig(b.gzipBytes / 1024)} KiB | ${sig(b.sessionsColdMs)} ms (${sig(b.sessionsColdMinMs)} ms) | ${sig(b.nodeBareMs)} ms | ${sig(b.sessionsColdMs - b.nodeBareMs)} ms | ${sig(b.blogPipelineMs)} ms |`,
            "",
        );
    }
    out.push(
        "Raw figures of this run: bench/results.json. Reproduce: `npm ci && npm run bench` as root (see bench/README.md for what it needs and the knobs).",
        "",
    );
    return out.join("\n");
}
