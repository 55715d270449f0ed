// Benchmark harness entry point: `npm run bench` (= npm run build, then this file).
// Reports; asserts no times. Fails (exit 2) before measuring anything when a tool is missing.
//
// Sections (BENCH_SECTIONS, comma-separated; default all, in this order):
//   bundle     bundle size, cold start of `sessions --json`             BENCH_COLD_RUNS (11)
//   program    Pulumi program on mocks for 1/10/100 instances            PROGRAM_SCALE_SIZES (1,10,100), PROGRAM_SCALE_REPEATS (5)
//   scale      per-sample counting cost at 1/50/500 SSH sessions, +10,000 processes
//                                                                        BENCH_SCALE_SESSIONS (1,50,500), BENCH_SCALE_PROCESSES (10000), BENCH_SCALE_SAMPLES (30)
//   detection  share of short sessions seen, agent vs cron               BENCH_DETECT_MINUTES (8), BENCH_DETECT_LANES (16), BENCH_SEED (random),
//                                                                        BENCH_DETECT_PUBLISH_SECONDS (10), BENCH_DETECT_CRON_SECONDS (60),
//                                                                        BENCH_DETECT_LENGTHS (2,5,15,30,90), BENCH_DETECT_SAMPLE_SECONDS (10,5,1)
//   footprint  CPU/hour and peak RSS, agent daemon vs cron + AWS CLI v1/v2
//                                                                        BENCH_FOOTPRINT_MINUTES (10), BENCH_CRON_RUNS (10)
// Output: a summary on stdout, bench/results.json (raw figures) and bench/RESULTS.md
// (BENCH_RESULTS_DIR=DIR writes both elsewhere, e.g. for a trial run). BENCH_RENDER_ONLY=1
// re-renders RESULTS.md from an existing results.json without measuring anything.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundle } from "./bundle";
import { detection } from "./detection";
import { footprint } from "./footprint";
import { describeMachine } from "./lib/machine";
import { ALL_SECTIONS, preflight, REPO, Section } from "./lib/preflight";
import { log, runAllCleanups } from "./lib/util";
import { program } from "./program";
import { renderResults, Results } from "./report";
import { scale } from "./scale";

function selectedSections(): Section[] {
    const raw = process.env.BENCH_SECTIONS;
    if (!raw) return ALL_SECTIONS;
    const list = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    const unknown = list.filter((s) => !(ALL_SECTIONS as string[]).includes(s));
    if (unknown.length > 0) {
        process.stderr.write(`bench: unknown section(s) ${unknown.join(", ")}; known: ${ALL_SECTIONS.join(", ")}\n`);
        process.exit(2);
    }
    return ALL_SECTIONS.filter((s) => list.includes(s));
}

async function main(): Promise<void> {
    if (process.env.BENCH_RENDER_ONLY === "1") {
        // Re-render RESULTS.md from an existing results.json (same figures, e.g. after a report fix).
        const dir = process.env.BENCH_RESULTS_DIR ?? join(REPO, "bench");
        const md = renderResults(JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Results);
        writeFileSync(join(dir, "RESULTS.md"), md);
        process.stdout.write(md);
        return;
    }
    const sections = selectedSections();
    const tools = preflight(sections);
    const outDir = process.env.BENCH_RESULTS_DIR ?? join(REPO, "bench");
    const started = Date.now();
    const results: Results = {
        date: new Date().toISOString(),
        command: `npm run bench${process.env.BENCH_SECTIONS ? ` (BENCH_SECTIONS=${process.env.BENCH_SECTIONS})` : ""}`,
        env: Object.fromEntries(
            Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_") || k.startsWith("PROGRAM_SCALE_")) as Array<[string, string]>,
        ),
        machine: describeMachine(),
        tools,
        durationSeconds: 0,
    };
    const save = (): void => {
        results.durationSeconds = Math.round((Date.now() - started) / 1000);
        writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 1)}\n`);
    };
    for (const s of sections) {
        const t0 = Date.now();
        log(`section ${s}`);
        if (s === "bundle") results.bundle = await bundle();
        else if (s === "program") results.program = await program();
        else if (s === "scale") results.scale = await scale();
        else if (s === "detection") results.detection = await detection(tools);
        else if (s === "footprint") results.footprint = await footprint(tools);
        log(`section ${s} done in ${Math.round((Date.now() - t0) / 1000)} s`);
        save();
    }
    save();
    const md = renderResults(results);
    writeFileSync(join(outDir, "RESULTS.md"), md);
    process.stdout.write(md);
    log(`wrote ${join(outDir, "RESULTS.md")} and results.json in ${results.durationSeconds} s`);
}

main()
    .then(() => {
        runAllCleanups();
        process.exit(0);
    })
    .catch((e: unknown) => {
        process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        runAllCleanups();
        process.exit(1);
    });
