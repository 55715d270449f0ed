// Section 5: the bundle's size and the cold start of `sessions --json` (a fresh node process each
// run, wall time), next to a bare `node -e 0` and the blog's ps|grep|wc pipeline.
import { statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { BLOG_COUNT } from "./lib/cron";
import { BUNDLE } from "./lib/preflight";
import { envNumber, median, run } from "./lib/util";

export interface BundleResult {
    bytes: number;
    gzipBytes: number;
    runs: number;
    sessionsColdMs: number;
    sessionsColdMinMs: number;
    nodeBareMs: number;
    blogPipelineMs: number;
}

async function timeRuns(runs: number, cmd: string, args: string[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
        const r = await run(cmd, args, { timeoutMs: 30000 });
        if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
        if (i > 0) out.push(r.wallMs); // the first run warms the page cache
    }
    return out;
}

export async function bundle(): Promise<BundleResult> {
    const runs = Math.max(1, Math.round(envNumber("BENCH_COLD_RUNS", 11)));
    const sessions = await timeRuns(runs, process.execPath, [BUNDLE, "sessions", "--json"]);
    const bare = await timeRuns(runs, process.execPath, ["-e", "0"]);
    const blog = await timeRuns(runs, "/bin/sh", ["-c", BLOG_COUNT]);
    return {
        bytes: statSync(BUNDLE).size,
        gzipBytes: gzipSync(readFileSync(BUNDLE)).length,
        runs,
        sessionsColdMs: median(sessions),
        sessionsColdMinMs: Math.min(...sessions),
        nodeBareMs: median(bare),
        blogPipelineMs: median(blog),
    };
}
