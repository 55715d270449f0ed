// Busy work keeps the box up with nobody watching (docs/reference/metric.md): real `run` daemons
// against the local CloudWatch endpoint. Processes: a real tmux server's tree seen through an
// isolated procRoot (tests/support/isolated-view.ts), so other tests' processes on this machine
// never count here. GPU: a stand-in nvidia-smi on the daemon's PATH printing what the real one
// prints for the documented query.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, Datapoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { IsolatedView } from "../support/isolated-view";
import { sleep, waitUntil } from "../support/sshd";
import type { KeptUp } from "../../common/metric";

const IID = "i-0123456789abcdef0";
/** Publish period and window of these tests, seconds. */
const P = 2;
const WINDOW = 6;

interface StatusJson {
    active: number;
    connected: number;
    keptUpBy: KeptUp[];
}

class Tmux {
    readonly sock = `idle-stop-busy-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    serverPid = 0;
    panePid = 0;

    start(cmd: string): this {
        execFileSync("tmux", ["-L", this.sock, "new-session", "-d", "-x", "100", "-y", "30", cmd]);
        const [server, pane] = execFileSync("tmux", ["-L", this.sock, "display-message", "-p", "#{pid} #{pane_pid}"], { encoding: "utf8" })
            .trim()
            .split(" ");
        this.serverPid = Number(server);
        this.panePid = Number(pane);
        return this;
    }

    stop(): void {
        try {
            execFileSync("tmux", ["-L", this.sock, "kill-server"], { stdio: "ignore" });
        } catch {
            /* gone */
        }
    }
}

async function status(cfgPath: string): Promise<StatusJson> {
    const r = await runAgent(["status", "--json", "--config", cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
}

function statusFile(stateDir: string): { active: number; keptUpBy?: KeptUp[] } | null {
    const p = join(stateDir, "status.json");
    return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as { active: number; keptUpBy?: KeptUp[] }) : null;
}

function commsIn(procRoot: string): string[] {
    return readdirSync(procRoot)
        .filter((n) => /^\d+$/.test(n))
        .map((n) => {
            try {
                return readFileSync(join(procRoot, n, "comm"), "utf8").trim();
            } catch {
                return "";
            }
        });
}

function keptUpBy(cw: CloudWatchEndpoint, signal: string): Datapoint[] {
    return cw.datapoints().filter((d) => d.metricName === "KeptUpBy" && d.dimensions.Signal === signal);
}

describe("busy work counts as use, with no SSH session", function () {
    this.timeout(120_000);
    let cw: CloudWatchEndpoint;
    const cleanups: Array<() => unknown> = [];

    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        await cw.close();
    });
    afterEach(async () => {
        for (const c of cleanups.splice(0).reverse()) await c();
    });

    function daemonOn(view: IsolatedView, extra: Record<string, unknown> = {}): { daemon: Daemon; cfg: ReturnType<typeof writeConfig> } {
        const cfg = writeConfig({
            instanceId: IID,
            region: "us-east-1",
            sampleSeconds: 1,
            publishSeconds: P,
            procRoot: view.procRoot,
            devRoot: view.devRoot,
            sessionIdleSeconds: WINDOW,
            busyGpuPercent: 0,
            transferBytesPerMinute: 0,
            ...extra,
        });
        const daemon = new Daemon(cfg.path, clientEnv(cw.url));
        cleanups.push(() => daemon.stop("SIGKILL"));
        return { daemon, cfg };
    }

    function tmuxView(cmd: string): { tmux: Tmux; view: IsolatedView } {
        const tmux = new Tmux().start(cmd);
        cleanups.push(() => tmux.stop());
        const view = new IsolatedView(() => tmux.serverPid).start();
        cleanups.push(() => view.stop());
        return { tmux, view };
    }

    it("a single-threaded busy loop in a detached tmux keeps the box up; status and KeptUpBy say why; once finished it stops counting within one window", async () => {
        const { tmux, view } = tmuxView("bash -c 'while :; do :; done'");
        const { daemon, cfg } = daemonOn(view);
        await waitUntil(() => statusFile(cfg.stateDir)?.keptUpBy?.some((k) => k.signal === "process"), 30_000, "the loop counts");

        const st = await status(cfg.path);
        assert.equal(st.connected, 0, "no SSH session at all");
        assert.ok(st.active >= 1, JSON.stringify(st));
        const proc = st.keptUpBy.filter((k) => k.signal === "process");
        assert.equal(proc.length, 1, JSON.stringify(st.keptUpBy));
        assert.match(proc[0].detail, /^bash \(uid 0\) \d+% of a core/);
        const text = (await runAgent(["status", "--config", cfg.path])).stdout;
        assert.match(text, /^kept up by:\n {2}process +bash \(uid 0\) \d+% of a core/m);

        // published: KeptUpBy{Signal=process} = 1, in the same request as that period's ActiveSessions >= 1
        const kept = await waitUntil(() => keptUpBy(cw, "process").find((d) => d.statisticValues?.Maximum === 1), 20_000, "KeptUpBy published");
        assert.equal(kept.dimensions.InstanceId, IID);
        assert.deepEqual(Object.keys(kept.dimensions).sort(), ["InstanceId", "Signal"]);
        assert.equal(kept.unit, "Count");
        const req = cw.accepted("PutMetricData").find((r) => r.at === kept.at) as NonNullable<ReturnType<CloudWatchEndpoint["accepted"]>[number]>;
        const body = JSON.parse(req.rawBody.toString()) as {
            MetricData: Array<{
                MetricName: string;
                Timestamp: number;
                Dimensions: Array<{ Name: string; Value: string }>;
                StatisticValues: { Maximum: number };
            }>;
        };
        const active = body.MetricData.find((m) => m.MetricName === "ActiveSessions" && m.Timestamp * 1000 === kept.timestamp);
        assert.ok(active && active.StatisticValues.Maximum >= 1, req.rawBody.toString());
        assert.deepEqual(active.Dimensions, [{ Name: "InstanceId", Value: IID }]);

        // the job finishes: within one window (plus a period to notice) the box is idle again
        execFileSync("kill", [String(tmux.panePid)]);
        await waitUntil(() => statusFile(cfg.stateDir)?.active === 0, (WINDOW + 3 * P) * 1000 + 15_000, "idle again");
        assert.deepEqual(
            (await status(cfg.path)).keptUpBy.filter((k) => k.signal === "process"),
            [],
        );
        assert.deepEqual(daemon.events("sample_failed"), []);
    });

    it("top left running in a terminal with no input does not keep the box up", async () => {
        const { view } = tmuxView("top");
        const { daemon, cfg } = daemonOn(view, { sessionIdleSeconds: 0 });
        await waitUntil(() => commsIn(view.procRoot).includes("top"), 10_000, "top in the agent's view");
        // six periods: five measurements of top's CPU
        const since = Date.now();
        await sleep(6 * P * 1000);
        await waitUntil(() => daemon.events("published").length >= 3, 20_000, "publishes");
        const st = statusFile(cfg.stateDir);
        assert.equal(st?.active, 0, JSON.stringify(st));
        assert.deepEqual(st?.keptUpBy, []);
        const mine = cw.datapoints().filter((d) => d.at >= since && d.metricName === "KeptUpBy" && d.dimensions.InstanceId === IID);
        assert.deepEqual(
            mine.filter((d) => d.dimensions.Signal === "process"),
            [],
        );
    });
});

describe("a busy GPU counts as use (stand-in nvidia-smi on PATH)", function () {
    this.timeout(120_000);
    let cw: CloudWatchEndpoint;
    const daemons: Daemon[] = [];

    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        for (const d of daemons) await d.stop("SIGKILL");
        await cw.close();
    });

    /** A directory with an nvidia-smi that prints `out` and exits with `code` (files the test rewrites). */
    function standIn(): { bin: string; set: (out: string, code?: number, stderr?: string) => void; calls: () => number } {
        const bin = tempDir("idle-stop-nvsmi-");
        const script = join(bin, "nvidia-smi");
        writeFileSync(
            script,
            [
                "#!/bin/sh",
                "# the documented call only: nvidia-smi --query-gpu=index,utilization.gpu --format=csv,noheader,nounits",
                `[ "$*" = "--query-gpu=index,utilization.gpu --format=csv,noheader,nounits" ] || { echo "unexpected: $*" >&2; exit 64; }`,
                `echo x >> '${bin}/calls'`,
                `cat '${bin}/out'; cat '${bin}/err' >&2`,
                `exit "$(cat '${bin}/code')"`,
                "",
            ].join("\n"),
        );
        chmodSync(script, 0o755);
        const set = (out: string, code = 0, stderr = ""): void => {
            writeFileSync(join(bin, "out"), out);
            writeFileSync(join(bin, "err"), stderr);
            writeFileSync(join(bin, "code"), String(code));
        };
        set("0, 0\n");
        const calls = (): number => (existsSync(join(bin, "calls")) ? readFileSync(join(bin, "calls"), "utf8").split("\n").length - 1 : 0);
        return { bin, set, calls };
    }

    function start(path: string): { daemon: Daemon; cfg: ReturnType<typeof writeConfig> } {
        const cfg = writeConfig({
            instanceId: IID,
            region: "us-east-1",
            sampleSeconds: 1,
            publishSeconds: P,
            procRoot: new FakeProc().withListener().root,
            sessionIdleSeconds: 0, // counts while the latest reading is busy
            busyProcessPercent: 0,
            transferBytesPerMinute: 0,
        });
        const daemon = new Daemon(cfg.path, clientEnv(cw.url, { PATH: path }));
        daemons.push(daemon);
        return { daemon, cfg };
    }

    it("87 % counts (status, KeptUpBy), 0 % does not, a failing nvidia-smi is no signal and no crash, logged once", async () => {
        const smi = standIn();
        smi.set("0, 87\n1, 0\n");
        const { daemon, cfg } = start(`${smi.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`);
        await waitUntil(() => statusFile(cfg.stateDir)?.keptUpBy?.some((k) => k.signal === "gpu"), 30_000, "GPU counts");
        const st = await status(cfg.path);
        assert.deepEqual(
            st.keptUpBy.filter((k) => k.signal === "gpu"),
            [{ signal: "gpu", detail: "GPU 0 87%" }],
        );
        assert.ok(st.active >= 1);
        const kept = await waitUntil(() => keptUpBy(cw, "gpu").find((d) => d.statisticValues?.Maximum === 1), 20_000, "KeptUpBy gpu");
        assert.equal(kept.dimensions.InstanceId, IID);

        // 0 %, a model loaded and nothing running: not use
        smi.set("0, 0\n1, 0\n");
        await waitUntil(() => statusFile(cfg.stateDir)?.active === 0, 20_000, "idle at 0 %");
        assert.deepEqual(statusFile(cfg.stateDir)?.keptUpBy, []);

        // a failing nvidia-smi: no signal, the daemon goes on publishing, one log line
        smi.set("", 9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n");
        const calls = smi.calls();
        await waitUntil(() => smi.calls() >= calls + 3, 30_000, "three more calls");
        const published = daemon.events("published").length;
        await waitUntil(() => daemon.events("published").length > published, 20_000, "still publishing");
        assert.equal(daemon.events("gpu_unreadable").length, 1, daemon.stderr);
        assert.match(daemon.events("gpu_unreadable")[0], /effect="no GPU signal"/);
        assert.equal(statusFile(cfg.stateDir)?.active, 0);
        assert.equal(daemon.child.exitCode, null, "still running");
        // [N/A] is no reading either
        smi.set("0, [N/A]\n");
        const c2 = smi.calls();
        await waitUntil(() => smi.calls() >= c2 + 2, 30_000, "two more calls");
        assert.equal(statusFile(cfg.stateDir)?.active, 0);
    });

    it("without nvidia-smi on PATH: no signal, no error, nothing logged about it", async () => {
        const empty = tempDir("idle-stop-nopath-");
        const { daemon, cfg } = start(`${empty}:/usr/local/bin:/usr/bin:/bin`);
        await waitUntil(() => daemon.events("published").length >= 2, 30_000, "publishes");
        assert.equal(statusFile(cfg.stateDir)?.active, 0);
        assert.deepEqual(daemon.events("gpu_unreadable"), []);
        assert.doesNotMatch(daemon.stderr, /level=error/);
        assert.equal(daemon.child.exitCode, null);
    });
});
