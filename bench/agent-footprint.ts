// Measures the agent's runtime footprint (reports, asserts nothing):
//   bundle size of agent/dist/idle-stop-agent.js, cold start of `sessions` (wall time, median of
//   runs), and a `run` daemon at default settings (sampleSeconds 10, publishSeconds 60) publishing
//   to the local CloudWatch endpoint for FOOTPRINT_MINUTES (default 10): VmRSS/VmHWM over time
//   and CPU time (utime+stime).
//   node -r ts-node/register/transpile-only bench/agent-footprint.ts   (after npm run build)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { clientEnv, startCloudWatchEndpoint } from "../tests/support/cloudwatch-endpoint";

const bundle = resolve(__dirname, "..", "agent", "dist", "idle-stop-agent.js");
const minutes = Number(process.env.FOOTPRINT_MINUTES ?? "10");

function procStatus(pid: number): { rssKb: number; hwmKb: number } | null {
    try {
        const t = readFileSync(`/proc/${pid}/status`, "utf8");
        return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(t)?.[1]), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(t)?.[1]) };
    } catch {
        return null;
    }
}

function cpuMs(pid: number): number {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, ticks of 10 ms
}

async function main(): Promise<void> {
    const size = statSync(bundle).size;
    const coldMs: number[] = [];
    for (let i = 0; i < 11; i++) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, [bundle, "sessions", "--json"], { encoding: "utf8" });
        coldMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status !== 0) throw new Error(`sessions failed: ${r.stderr}`);
    }
    coldMs.sort((a, b) => a - b);
    const nodeBare: number[] = [];
    for (let i = 0; i < 11; i++) {
        const t0 = process.hrtime.bigint();
        spawnSync(process.execPath, ["-e", "0"]);
        nodeBare.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    nodeBare.sort((a, b) => a - b);

    const cw = await startCloudWatchEndpoint();
    const dir = mkdtempSync(join(tmpdir(), "idle-stop-footprint-"));
    const cfg = join(dir, "agent.json");
    writeFileSync(cfg, JSON.stringify({ instanceId: "i-0123456789abcdef0", region: "eu-west-1", stateDir: join(dir, "state"), alarmName: "bench-alarm", idleMinutes: 15 }));
    const child = spawn(process.execPath, [bundle, "run", "--config", cfg], { env: clientEnv(cw.url), stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const pid = child.pid as number;
    const series: Array<{ s: number; rssKb: number; hwmKb: number; cpuMs: number }> = [];
    const t0 = Date.now();
    while (Date.now() - t0 < minutes * 60000) {
        await new Promise((r) => setTimeout(r, 10000));
        const st = procStatus(pid);
        if (!st) throw new Error(`agent exited: ${log}`);
        series.push({ s: Math.round((Date.now() - t0) / 1000), ...st, cpuMs: cpuMs(pid) });
    }
    const last = series[series.length - 1];
    child.kill("SIGTERM");
    await new Promise((r) => child.on("close", r));
    await cw.close();
    rmSync(dir, { recursive: true, force: true });
    const result = {
        bundleBytes: size,
        sessionsColdStartMs: { median: coldMs[5], min: coldMs[0], max: coldMs[10] },
        nodeBareStartMs: { median: nodeBare[5] },
        run: {
            minutes,
            rssKbFirst: series[0]?.rssKb,
            rssKbLast: last.rssKb,
            rssKbMax: Math.max(...series.map((x) => x.rssKb)),
            hwmKb: last.hwmKb,
            cpuMsTotal: last.cpuMs,
            cpuMsAfterFirstMinute: last.cpuMs - (series.find((x) => x.s >= 60)?.cpuMs ?? 0),
            published: cw.datapoints().length,
            rearmCalls: cw.accepted("SetAlarmState").length,
        },
        series,
    };
    console.log(JSON.stringify(result, null, 1));
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
