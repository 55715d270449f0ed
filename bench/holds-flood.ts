// Cost of `status --json` with a flood of expired hold files in holdsDir (issue 23, finding 4):
// 100,000 files written now, expiresAt in the past, owned by 10 uids, read by the agent bundle
// given in BENCH_BUNDLES (name=path,...; default: this tree's bundle). Wall time and peak RSS
// from /usr/bin/time, median of BENCH_RUNS (3) runs. As root (it chowns the files).
//   node -r ts-node/register/transpile-only bench/holds-flood.ts
import { spawnSync } from "node:child_process";
import { chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentBundle, tempDir, writeConfig } from "../tests/support/agent";

const FILES = Number(process.env.BENCH_HOLD_FILES ?? 100000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

const cfg = writeConfig({ procRoot: tempDir() });
const body = JSON.stringify({ expiresAt: "2020-01-01T00:00:00.000Z", reason: "flood" });
for (let i = 0; i < FILES; i++) {
    const path = join(cfg.holdsDir, `${(0x10000000 + i).toString(16)}.json`);
    writeFileSync(path, body);
    chownSync(path, 70000 + (i % 10), 70000 + (i % 10));
}
const bundles = (process.env.BENCH_BUNDLES ?? `this tree=${agentBundle()}`).split(",").map((x) => x.split("="));
console.log(`| bundle | hold files | status --json, median of ${RUNS} | peak RSS |`);
console.log("|---|---|---|---|");
for (const [name, bundle] of bundles) {
    const runs = Array.from({ length: RUNS }, () => {
        const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, bundle, "status", "--json", "--config", cfg.path], {
            encoding: "utf8",
            stdio: ["ignore", "ignore", "pipe"],
        });
        const [s, kb] = r.stderr.trim().split("\n").pop()!.split(" ").map(Number);
        return { ms: s * 1000, mib: kb / 1024 };
    });
    console.log(`| ${name} | ${FILES} | ${median(runs.map((r) => r.ms)).toFixed(0)} ms | ${median(runs.map((r) => r.mib)).toFixed(1)} MiB |`);
}
