// Section 1: footprint per hour on the instance. The agent daemon at default settings
// (sampleSeconds 10, publishSeconds 60) vs the blog's cron job (one `/bin/sh -c LINE` per minute)
// with AWS CLI v1 (pip) and v2 (Debian), all publishing to the same local CloudWatch endpoint.
//   agent: CPU = utime+stime+cutime+cstime from /proc/PID/stat over BENCH_FOOTPRINT_MINUTES,
//          peak RSS = VmHWM; scaled to one hour.
//   cron:  BENCH_CRON_RUNS sequential runs of the exact cron command under GNU time
//          (user+sys of the shell and every process it waited for; %M = peak RSS of the largest
//          of them); mean per run x 60 runs per hour.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientEnv, startCloudWatchEndpoint } from "../tests/support/cloudwatch-endpoint";
import { cronLine } from "./lib/cron";
import { BUNDLE, Tools } from "./lib/preflight";
import { envNumber, log, max, mean, procCpu, procMem, run, sleep, spawnTracked, tempDirCleanup } from "./lib/util";

export interface CronFootprint {
    cli: string;
    version: string;
    runs: number;
    cpuSecondsPerRun: number;
    cpuSecondsPerHour: number;
    peakRssKb: number;
    wallSecondsPerRun: number;
    published: number;
}

export interface FootprintResult {
    agent: {
        minutes: number;
        cpuSeconds: number;
        startupCpuSeconds: number;
        /** Steady rate over one hour plus one start-up: the figure used for ratios. */
        cpuSecondsPerHour: number;
        /** Measured total over the window (start-up included) scaled linearly to 60 minutes (charges a start-up per window). */
        scaledCpuSecondsPerHour: number;
        /** Rate after the first minute, scaled to 60 minutes (start-up excluded). */
        steadyCpuSecondsPerHour: number;
        peakRssKb: number;
        lastRssKb: number;
        published: number;
        rearmCalls: number;
    };
    cron: CronFootprint[];
}

const INSTANCE = "i-0123456789abcdef0";

async function cronFootprint(label: string, awsBin: string, version: string, runs: number, dir: string): Promise<CronFootprint> {
    const cw = await startCloudWatchEndpoint();
    try {
        const line = cronLine(awsBin, cw.url, INSTANCE);
        const env = clientEnv(cw.url);
        delete env.AWS_ENDPOINT_URL_CLOUDWATCH; // the cron line passes --endpoint-url itself
        const cpu: number[] = [];
        const rss: number[] = [];
        const wall: number[] = [];
        const out = join(dir, `time-${label}.txt`);
        for (let i = 0; i < runs; i++) {
            const r = await run("/usr/bin/time", ["-f", "%U %S %M %e", "-o", out, "/bin/sh", "-c", line], { env, timeoutMs: 120000 });
            if (r.code !== 0) throw new Error(`cron run with ${label} failed (exit ${r.code}): ${r.stderr.trim()}`);
            const [u, s, m, e] = readFileSync(out, "utf8").trim().split(/\s+/).slice(-4).map(Number);
            cpu.push(u + s);
            rss.push(m);
            wall.push(e);
        }
        const published = cw.accepted("PutMetricData").length;
        const bad = cw.requests.filter((r) => !r.signature.valid || r.status !== 200);
        if (published !== runs || bad.length > 0) throw new Error(`cron ${label}: ${published}/${runs} accepted, ${bad.length} rejected (${bad[0]?.signature.problem ?? bad[0]?.errorType ?? ""})`);
        const per = mean(cpu);
        return { cli: label, version, runs, cpuSecondsPerRun: per, cpuSecondsPerHour: per * 60, peakRssKb: max(rss), wallSecondsPerRun: mean(wall), published };
    } finally {
        await cw.close();
    }
}

async function agentFootprint(minutes: number, dir: string): Promise<FootprintResult["agent"]> {
    const cw = await startCloudWatchEndpoint();
    const cfg = join(dir, "agent.json");
    // Default sampleSeconds/publishSeconds; alarmName so the start-up re-arm call is included.
    writeFileSync(cfg, JSON.stringify({ instanceId: INSTANCE, region: "eu-west-1", stateDir: join(dir, "state"), alarmName: "bench-idle", idleMinutes: 15 }));
    const child = spawnTracked(process.execPath, [BUNDLE, "run", "--config", cfg], { env: clientEnv(cw.url), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const pid = child.pid as number;
    const t0 = Date.now();
    const total = (): number => {
        const c = procCpu(pid);
        if (!c) throw new Error(`agent exited early: ${stderr}`);
        return c.self + c.children;
    };
    try {
        let atMinute: { t: number; cpu: number } | null = null;
        let last = { t: t0, cpu: 0 };
        while (Date.now() - t0 < minutes * 60000) {
            await sleep(Math.min(10000, minutes * 60000 - (Date.now() - t0)) + 1);
            last = { t: Date.now(), cpu: total() };
            if (atMinute === null && last.t - t0 >= 60000) atMinute = last;
            log(`footprint: agent ${Math.round((last.t - t0) / 1000)} s, cpu ${last.cpu.toFixed(2)} s, rss ${procMem(pid)?.rssKb} kB`);
        }
        const mem = procMem(pid);
        if (!mem) throw new Error(`agent exited early: ${stderr}`);
        const elapsed = (last.t - t0) / 1000;
        const start = atMinute ?? { t: t0, cpu: 0 };
        const steady = last.t > start.t ? ((last.cpu - start.cpu) / ((last.t - start.t) / 1000)) * 3600 : NaN;
        return {
            minutes: elapsed / 60,
            cpuSeconds: last.cpu,
            startupCpuSeconds: start.cpu,
            cpuSecondsPerHour: (Number.isFinite(steady) ? steady : (last.cpu / elapsed) * 3600) + start.cpu,
            scaledCpuSecondsPerHour: (last.cpu / elapsed) * 3600,
            steadyCpuSecondsPerHour: steady,
            peakRssKb: mem.hwmKb,
            lastRssKb: mem.rssKb,
            published: cw.datapoints().length,
            rearmCalls: cw.accepted("SetAlarmState").length,
        };
    } finally {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), sleep(8000)]);
        await cw.close();
    }
}

export async function footprint(tools: Tools): Promise<FootprintResult> {
    const minutes = envNumber("BENCH_FOOTPRINT_MINUTES", 10);
    const runs = Math.max(1, Math.round(envNumber("BENCH_CRON_RUNS", 10)));
    const dir = mkdtempSync(join(tmpdir(), "idle-stop-bench-footprint-"));
    tempDirCleanup(dir);
    try {
        log(`footprint: cron approach, ${runs} runs each with AWS CLI v1 and v2`);
        const cron = [
            await cronFootprint("AWS CLI v1 (pip)", tools.awsV1, tools.awsV1Version, runs, dir),
            await cronFootprint("AWS CLI v2 (Debian)", tools.awsV2, tools.awsV2Version, runs, dir),
        ];
        log(`footprint: agent daemon at defaults for ${minutes} min`);
        const agent = await agentFootprint(minutes, dir);
        return { agent, cron };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
