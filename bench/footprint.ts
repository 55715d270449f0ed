// Section 1: footprint per hour on the instance. The agent daemon at default settings
// (sampleSeconds 10, publishSeconds 60) and the service's node flags vs the blog's cron job (one
// `/bin/sh -c LINE` per minute) with AWS CLI v1 (pip) and v2 (Debian), all publishing to local
// CloudWatch endpoints.
//   agent: CPU = utime+stime+cutime+cstime from /proc/PID/stat over BENCH_FOOTPRINT_MINUTES,
//          peak RSS = VmHWM; scaled to one hour. Publishing goes over HTTPS (a throwaway
//          certificate), as on a real box, where the TLS handshake is a publish's main cost.
//   levers (BENCH_LEVERS, default 1): in the same window, the agent with each economy undone
//          (bench/lib/variants.ts) and with all undone, so each lever's worth is read off one run.
//   cron:  BENCH_CRON_RUNS sequential runs of the exact cron command under GNU time
//          (user+sys of the shell and every process it waited for; %M = peak RSS of the largest
//          of them); mean per run x 60 runs per hour.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientEnv, startCloudWatchEndpoint } from "../tests/support/cloudwatch-endpoint";
import { selfSignedCert } from "../tests/support/tls";
import { cronLine } from "./lib/cron";
import { Tools } from "./lib/preflight";
import { AgentVariant, agentVariants } from "./lib/variants";
import { envNumber, log, max, mean, procCpu, procMem, run, sleep, spawnTracked, tempDirCleanup } from "./lib/util";

interface CronFootprint {
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
        /** Service flags node ran with (absent in results of older runs). */
        nodeArgs?: string[];
        /** TLS connections the agent opened to the endpoint over the window. */
        connections?: number;
    };
    /** How long the local endpoints kept an idle connection open (BENCH_ENDPOINT_IDLE_SECONDS). */
    endpointIdleSeconds?: number;
    /** The shipped agent with one lever undone each, then all undone; same window as `agent`. */
    levers?: AgentFootprint[];
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
        if (published !== runs || bad.length > 0)
            throw new Error(
                `cron ${label}: ${published}/${runs} accepted, ${bad.length} rejected (${bad[0]?.signature.problem ?? bad[0]?.errorType ?? ""})`,
            );
        const per = mean(cpu);
        return {
            cli: label,
            version,
            runs,
            cpuSecondsPerRun: per,
            cpuSecondsPerHour: per * 60,
            peakRssKb: max(rss),
            wallSecondsPerRun: mean(wall),
            published,
        };
    } finally {
        await cw.close();
    }
}

export type AgentFootprint = FootprintResult["agent"] & {
    name: string;
    lever: string | null;
    nodeArgs: string[];
    connections: number;
    bundleBytes: number;
};

/**
 * Every variant as a real `run` daemon at default settings, all at once (so they share the same
 * window of a shared machine), each publishing over HTTPS to its own local endpoint.
 */
async function agentsFootprint(variants: AgentVariant[], minutes: number, dir: string, idleSeconds = 5): Promise<AgentFootprint[]> {
    const cert = selfSignedCert(dir);
    const runs = await Promise.all(
        variants.map(async (v, i) => {
            const cw = await startCloudWatchEndpoint(undefined, cert);
            cw.keepAliveTimeoutMs = idleSeconds * 1000;
            const cfg = join(dir, `agent-${i}.json`);
            // Default sampleSeconds/publishSeconds and activity rules, as the component writes them.
            writeFileSync(
                cfg,
                JSON.stringify({
                    instanceId: INSTANCE,
                    region: "eu-west-1",
                    stateDir: join(dir, `state-${i}`),
                    idleMinutes: 15,
                    warnMinutes: 5,
                    sshPorts: [22],
                }),
            );
            const child = spawnTracked(process.execPath, [...v.nodeArgs, v.bundle, "run", "--config", cfg], {
                env: clientEnv(cw.url, { NODE_EXTRA_CA_CERTS: cert.certPath }),
                stdio: ["ignore", "ignore", "pipe"],
            });
            let stderr = "";
            child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
            return {
                v,
                cw,
                child,
                pid: child.pid as number,
                stderr: () => stderr,
                atMinute: null as { t: number; cpu: number } | null,
                last: { t: 0, cpu: 0 },
            };
        }),
    );
    const t0 = Date.now();
    const total = (r: (typeof runs)[number]): number => {
        const c = procCpu(r.pid);
        if (!c) throw new Error(`${r.v.name} exited early: ${r.stderr()}`);
        return c.self + c.children;
    };
    try {
        for (const r of runs) r.last = { t: t0, cpu: 0 };
        while (Date.now() - t0 < minutes * 60000) {
            await sleep(Math.min(10000, minutes * 60000 - (Date.now() - t0)) + 1);
            for (const r of runs) {
                r.last = { t: Date.now(), cpu: total(r) };
                if (r.atMinute === null && r.last.t - t0 >= 60000) r.atMinute = r.last;
            }
            log(
                `footprint: ${Math.round((Date.now() - t0) / 1000)} s, ${runs.map((r) => `${r.v.name}: cpu ${r.last.cpu.toFixed(2)} s, rss ${procMem(r.pid)?.rssKb} kB`).join("; ")}`,
            );
        }
        return runs.map((r) => {
            const mem = procMem(r.pid);
            if (!mem) throw new Error(`${r.v.name} exited early: ${r.stderr()}`);
            const elapsed = (r.last.t - t0) / 1000;
            const start = r.atMinute ?? { t: t0, cpu: 0 };
            const steady = r.last.t > start.t ? ((r.last.cpu - start.cpu) / ((r.last.t - start.t) / 1000)) * 3600 : NaN;
            return {
                name: r.v.name,
                lever: r.v.lever,
                nodeArgs: r.v.nodeArgs,
                bundleBytes: statSync(r.v.bundle).size,
                minutes: elapsed / 60,
                cpuSeconds: r.last.cpu,
                startupCpuSeconds: start.cpu,
                cpuSecondsPerHour: (Number.isFinite(steady) ? steady : (r.last.cpu / elapsed) * 3600) + start.cpu,
                scaledCpuSecondsPerHour: (r.last.cpu / elapsed) * 3600,
                steadyCpuSecondsPerHour: steady,
                peakRssKb: mem.hwmKb,
                lastRssKb: mem.rssKb,
                published: r.cw.datapoints().length,
                connections: r.cw.connections,
            };
        });
    } finally {
        for (const r of runs) r.child.kill("SIGTERM");
        await Promise.all(runs.map((r) => Promise.race([new Promise((res) => r.child.once("exit", res)), sleep(8000)])));
        await Promise.all(runs.map((r) => r.cw.close()));
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
        const withLevers = process.env.BENCH_LEVERS !== "0";
        const variants = agentVariants(dir, withLevers);
        log(
            `footprint: ${variants.length} agent daemon(s) side by side at defaults for ${minutes} min${withLevers ? " (the shipped agent, each lever undone, all undone)" : ""}`,
        );
        // How long CloudWatch keeps an idle connection is not published; by default assume it does not
        // outlast a minute (Node's own server default, 5 s), so every publish pays a TLS handshake.
        const idleSeconds = envNumber("BENCH_ENDPOINT_IDLE_SECONDS", 5);
        const agents = await agentsFootprint(variants, minutes, dir, idleSeconds);
        return { agent: agents[0], levers: agents.slice(1), endpointIdleSeconds: idleSeconds, cron };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
