// Section 2: short-session detection. Real SSH sessions of 2, 5, 15, 30 and 90 s at random
// offsets (seeded), and the share of them that shows up in the published Maximum of
//   - the agent with sampleSeconds 10, 5 and 1 (its `run` daemon, publishing to the local endpoint),
//   - the blog's cron job (the exact cron line with AWS CLI v1, fired at every minute boundary).
// A published Maximum cannot say which session it saw, so sessions on one box never overlap and
// are separated by more than a publish period. To get enough trials in a few minutes, the run
// uses several independent "boxes" (lanes) at once: each lane is a PID namespace
// (`unshare --pid --mount-proc`) with its own sshd, its own agents and its own cron job, so each
// sees only its own lane's sessions in /proc (and the blog's `ps` only its own processes).
// Clients connect over 127.0.0.1 as a non-root user (the blog's `[priv]` count misses root).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchEndpoint, clientEnv, startCloudWatchEndpoint } from "../tests/support/cloudwatch-endpoint";
import { startSshd, SshdFixture } from "../tests/support/sshd";
import { cronLine } from "./lib/cron";
import { BUNDLE, Tools } from "./lib/preflight";
import { openSession } from "./lib/ssh";
import {
    envList,
    envNumber,
    firstChild,
    freePort,
    killGroup,
    killQuiet,
    log,
    onCleanup,
    run,
    seededRandom,
    sleep,
    spawnTracked,
    sshBanner,
    tempDirCleanup,
    waitUntil,
} from "./lib/util";

interface DetectionSession {
    lane: number;
    length: number;
    /** Ready marker seen (remote command running) .. client exited, ms since the epoch. */
    start: number;
    end: number;
    seen: Record<string, boolean>;
}

interface DetectionRow {
    length: number;
    trials: number;
    /** variant -> sessions seen. */
    seen: Record<string, number>;
    /** variant -> expected share for a session of exactly this length at a uniformly random offset. */
    expected: Record<string, number>;
}

export interface DetectionResult {
    seed: number;
    lanes: number;
    minutes: number;
    publishSeconds: number;
    cronSeconds: number;
    variants: Array<{ name: string; intervalSeconds: number }>;
    rows: DetectionRow[];
    /** variant -> datapoints with Maximum >= 1 that no session explains (should be 0). */
    unattributed: Record<string, number>;
    failures: string[];
    sessions: DetectionSession[];
}

interface Variant {
    name: string;
    /** Sampling interval: sampleSeconds for the agent, the cron interval for cron. */
    intervalSeconds: number;
    kind: "agent" | "cron";
    publishSeconds: number;
}

function instanceIdFor(lane: number, variant: number): string {
    return `i-${lane.toString(16).padStart(4, "0")}${variant.toString(16).padStart(4, "0")}`;
}

interface Lane {
    index: number;
    init: number;
    port: number;
    agents: Array<ReturnType<typeof spawnTracked>>;
}

async function startLane(
    index: number,
    fixture: SshdFixture,
    baseConfig: string,
    dir: string,
    cw: CloudWatchEndpoint,
    variants: Variant[],
): Promise<Lane> {
    // The namespace's PID 1 is a sleep; killing it kills everything in the lane.
    const holder = spawnTracked("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", "sleep", "100000"], {
        detached: true,
        stdio: "ignore",
    });
    const init = await waitUntil(() => firstChild(holder.pid), 10000, "lane namespace");
    onCleanup(() => {
        killQuiet(init);
        killGroup(holder.pid);
    });
    const enter = ["-t", String(init), "-p", "-m", "--"];
    const port = await freePort();
    const cfg = join(dir, `sshd-lane${index}.conf`);
    writeFileSync(
        cfg,
        baseConfig
            .replace(/^ListenAddress .*$/m, `ListenAddress 127.0.0.1:${port}`)
            .replace(/^PidFile .*$/m, `PidFile ${join(dir, `sshd-lane${index}.pid`)}`),
        { mode: 0o600 },
    );
    const sshd = spawnTracked("nsenter", [...enter, "/usr/sbin/sshd", "-D", "-e", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
    let sshdLog = "";
    sshd.stderr?.on("data", (d: Buffer) => (sshdLog = (sshdLog + d.toString()).slice(-2000)));
    await waitUntil(() => sshBanner(port), 15000, `lane ${index} sshd (${sshdLog})`, 200);
    const agents: Array<ReturnType<typeof spawnTracked>> = [];
    for (const [vi, v] of variants.entries()) {
        if (v.kind !== "agent") continue;
        const acfg = join(dir, `agent-lane${index}-${vi}.json`);
        writeFileSync(
            acfg,
            JSON.stringify({
                instanceId: instanceIdFor(index, vi),
                region: "eu-west-1",
                sampleSeconds: v.intervalSeconds,
                publishSeconds: v.publishSeconds,
                stateDir: join(dir, `state-lane${index}-${vi}`),
                // What is measured here is whether a sample catches a session at all (the count), so
                // connected counts. With the use rule on, the lanes would see each other's terminals
                // (one /dev/pts for all PID namespaces) as "other terminals with input".
                sessionIdleSeconds: 0,
            }),
        );
        const a = spawnTracked("nsenter", [...enter, process.execPath, BUNDLE, "run", "--config", acfg], {
            env: clientEnv(cw.url),
            stdio: ["ignore", "ignore", "pipe"],
        });
        let alog = "";
        a.stderr?.on("data", (d: Buffer) => (alog = (alog + d.toString()).slice(-4000)));
        await waitUntil(() => alog.includes("event=started") || (a.exitCode !== null ? "exited" : false), 20000, `lane ${index} agent ${v.name}`);
        if (!alog.includes("event=started")) throw new Error(`agent ${v.name} in lane ${index} did not start: ${alog}`);
        agents.push(a);
    }
    return { index, init, port, agents };
}

export async function detection(tools: Tools): Promise<DetectionResult> {
    const seed = Math.round(envNumber("BENCH_SEED", Math.floor(Math.random() * 2 ** 31)));
    const minutes = envNumber("BENCH_DETECT_MINUTES", 8);
    const laneCount = Math.max(1, Math.round(envNumber("BENCH_DETECT_LANES", 16)));
    const publishSeconds = Math.max(1, Math.round(envNumber("BENCH_DETECT_PUBLISH_SECONDS", 10)));
    const cronSeconds = Math.max(1, Math.round(envNumber("BENCH_DETECT_CRON_SECONDS", 60)));
    const lengths = envList("BENCH_DETECT_LENGTHS", [2, 5, 15, 30, 90]);
    const samples = envList("BENCH_DETECT_SAMPLE_SECONDS", [10, 5, 1]).map(Math.round);
    log(`detection: seed ${seed} (BENCH_SEED=${seed} replays the offsets), ${laneCount} lanes, ${minutes} min`);
    const variants: Variant[] = [
        ...samples.map((s): Variant => ({
            name: `agent sampleSeconds ${s}`,
            intervalSeconds: s,
            kind: "agent",
            publishSeconds: Math.max(publishSeconds, s),
        })),
        { name: `cron every ${cronSeconds} s`, intervalSeconds: cronSeconds, kind: "cron", publishSeconds: cronSeconds },
    ];
    const cronIndex = variants.length - 1;
    // No two sessions of a lane may touch the same publish period (or cron tick).
    const gapMinMs = (Math.max(...variants.filter((v) => v.kind === "agent").map((v) => v.publishSeconds)) + 4) * 1000;

    const dir = mkdtempSync(join(tmpdir(), "idle-stop-bench-detect-"));
    tempDirCleanup(dir);
    const cw = await startCloudWatchEndpoint();
    const fixture = await startSshd();
    onCleanup(() => void fixture.stop());
    const failures: string[] = [];
    const sessions: DetectionSession[] = [];
    const lanes: Lane[] = [];
    let cronStopped = false;
    const cronRuns: Array<Promise<void>> = [];
    try {
        const user = fixture.addUser({ prefix: "isd" }); // non-root: the blog's [priv] count cannot see root
        const baseConfig = readFileSync(fixture.configPath, "utf8");
        for (let i = 0; i < laneCount; i++) lanes.push(await startLane(i, fixture, baseConfig, dir, cw, variants));
        log(`detection: ${lanes.length} lanes up (sshd + ${samples.length} agents + cron each)`);

        const cronEnv = clientEnv(cw.url);
        delete cronEnv.AWS_ENDPOINT_URL_CLOUDWATCH;
        const cronLoop = (async () => {
            while (!cronStopped) {
                const now = Date.now();
                const next = Math.ceil((now + 1) / (cronSeconds * 1000)) * cronSeconds * 1000;
                await sleep(next - now);
                if (cronStopped) break;
                for (const lane of lanes) {
                    const line = cronLine(tools.awsV1, cw.url, instanceIdFor(lane.index, cronIndex));
                    cronRuns.push(
                        run("nsenter", ["-t", String(lane.init), "-p", "-m", "--", "/bin/sh", "-c", line], {
                            env: cronEnv,
                            timeoutMs: cronSeconds * 1000,
                        }).then((r) => {
                            if (r.code !== 0) failures.push(`cron lane ${lane.index}: exit ${r.code} ${r.stderr.trim().slice(0, 200)}`);
                        }),
                    );
                }
            }
        })();

        const deadline = Date.now() + minutes * 60000;
        await Promise.all(
            lanes.map(async (lane) => {
                const rnd = seededRandom(seed + lane.index * 7919);
                let order: number[] = [];
                for (;;) {
                    if (order.length === 0) {
                        order = [...lengths];
                        for (let i = order.length - 1; i > 0; i--) {
                            const j = Math.floor(rnd() * (i + 1));
                            [order[i], order[j]] = [order[j], order[i]];
                        }
                    }
                    const length = order[0];
                    // Random offset: uniform over a whole cron interval, so the phase against every
                    // sampling grid (the agent's and cron's) is random.
                    const gap = gapMinMs + rnd() * cronSeconds * 1000;
                    if (Date.now() + gap + length * 1000 + 5000 > deadline) break;
                    order.shift();
                    await sleep(gap);
                    let s;
                    try {
                        s = await openSession(fixture, user, lane.port, { pty: true, timeoutMs: 30000 });
                    } catch (e) {
                        failures.push(`lane ${lane.index}: ${String(e)}`);
                        continue;
                    }
                    await sleep(Math.max(0, length * 1000 - (Date.now() - s.readyAt)));
                    const end = await s.close();
                    sessions.push({ lane: lane.index, length, start: s.readyAt, end, seen: {} });
                }
            }),
        );
        // Let every agent close the period of its last session (a later sample ends a period).
        const tail = Math.max(...variants.filter((v) => v.kind === "agent").map((v) => v.publishSeconds + v.intervalSeconds)) + 3;
        log(`detection: ${sessions.length} sessions done; ${tail} s for the last periods to publish`);
        await sleep(tail * 1000);
        cronStopped = true;
        for (const lane of lanes) for (const a of lane.agents) a.kill("SIGTERM");
        await Promise.all(
            lanes.flatMap((l) =>
                l.agents.map((a) =>
                    a.exitCode !== null ? Promise.resolve() : Promise.race([new Promise<void>((r) => a.once("exit", () => r())), sleep(8000)]),
                ),
            ),
        );
        await Promise.all(cronRuns);
        void cronLoop;
    } finally {
        cronStopped = true;
        for (const lane of lanes) killQuiet(lane.init);
        await fixture.stop();
    }
    const bad = cw.requests.filter((r) => r.status !== 200);
    if (bad.length > 0) failures.push(`${bad.length} CloudWatch requests rejected (${bad[0].errorType}: ${bad[0].signature.problem ?? ""})`);
    const points = cw.datapoints();
    await cw.close();

    // Attribution. Windows are widened by 1 s for process start/exit around the client's view.
    const slack = 1000;
    const unattributed: Record<string, number> = {};
    for (const [vi, v] of variants.entries()) {
        unattributed[v.name] = 0;
        for (const lane of lanes) {
            const iid = instanceIdFor(lane.index, vi);
            const mine = points.filter((p) => p.dimensions.InstanceId === iid);
            const positive = mine
                .map((p) => {
                    const value = v.kind === "agent" ? (p.statisticValues?.Maximum ?? 0) : (p.value ?? 0);
                    // Agent: period [t, t+P). Cron: sampled at the tick, published by `at`.
                    const from = v.kind === "agent" ? p.timestamp : Math.floor(p.at / (cronSeconds * 1000)) * cronSeconds * 1000;
                    const to = v.kind === "agent" ? p.timestamp + v.publishSeconds * 1000 : p.at;
                    return { value, from, to };
                })
                .filter((p) => p.value >= 1);
            const laneSessions = sessions.filter((s) => s.lane === lane.index);
            for (const s of laneSessions) s.seen[v.name] = positive.some((p) => p.from < s.end + slack && p.to > s.start - slack);
            unattributed[v.name] += positive.filter((p) => !laneSessions.some((s) => p.from < s.end + slack && p.to > s.start - slack)).length;
        }
    }
    const rows: DetectionRow[] = lengths.map((length) => {
        const of = sessions.filter((s) => s.length === length);
        const seen: Record<string, number> = {};
        const expected: Record<string, number> = {};
        for (const v of variants) {
            seen[v.name] = of.filter((s) => s.seen[v.name]).length;
            expected[v.name] = Math.min(1, length / v.intervalSeconds);
        }
        return { length, trials: of.length, seen, expected };
    });
    return {
        seed,
        lanes: laneCount,
        minutes,
        publishSeconds,
        cronSeconds,
        variants: variants.map((v) => ({ name: v.name, intervalSeconds: v.intervalSeconds })),
        rows,
        unattributed,
        failures,
        sessions,
    };
}
