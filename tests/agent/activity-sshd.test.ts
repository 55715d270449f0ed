// In use, not just connected (docs/reference/metric.md), against the real loopback sshd: the agent daemon
// (the real bundle, as a child process) judges real SSH sessions, real terminals and real client
// traffic, and publishes to the local CloudWatch endpoint. Each test's agent sees only this
// test's sshd and terminals (tests/support/isolated-view.ts), so other SSH sessions on the
// machine cannot disturb the counts. Terminal access times move in ~8 s steps, so terminal tests
// use sessionIdleSeconds 15. Sessions without a terminal are judged by their traffic, measured
// every publishSeconds (3 s): the one with steady traffic (a packet every 2 s) uses 8 (NOTTY_S);
// the others keep 15, because their traffic comes in bursts (sftp's rate limit sends 256 KB, then
// waits ~13 s at 160 kbit/s) or must average out over a long window (keep-alives). The agent runs
// as an ordinary user, as on a box (its own system user): everything it reads here, any user may
// read.
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StatusFile } from "../../agent/src/daemon/status-file";
import { listSessions } from "../../agent/src/signals/sessions";
import { agentBundle, Daemon, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { IsolatedView, ttyOf } from "../support/isolated-view";
import { descendantsOf, sleep, useSshd, waitUntil } from "../support/sshd";
import { forwardedTraffic } from "../support/traffic";

const IID = "i-0123456789abcdef0";
const S = 15;
/** sessionIdleSeconds of the no-terminal case with steady traffic: well over the 3 s between traffic measurements. */
const NOTTY_S = 8;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const sshd = useSshd();
    let cw: CloudWatchEndpoint;
    let view: IsolatedView;
    const cleanups: Array<() => Promise<void> | void> = [];

    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        await cw.close();
    });
    beforeEach(() => {
        cw.reset();
        view = new IsolatedView(() => sshd().pid).start();
    });
    afterEach(async () => {
        for (const c of cleanups.splice(0).reverse()) await c();
        view.stop();
    });

    let agentUser: { uid: number; gid: number } | undefined;
    function unprivileged(): { uid: number; gid: number } {
        if (agentUser) return agentUser;
        const name = sshd().addUser({ noKey: true, prefix: "isa" });
        const [uid, gid] = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`))!.split(":").slice(2, 4).map(Number);
        agentUser = { uid, gid };
        return agentUser;
    }
    /** The `status` command as a user runs it (text and --json), against this agent's config. */
    function statusCli(stateDir: string): { text: string; json: { connected: number; active: number; idleSince: string | null; sessions: Array<{ user: string; tty: string | null; inUse: boolean; idleSeconds: number | null }> } } {
        const args = [agentBundle(), "status", "--config", join(stateDir, "..", "agent.json")];
        return {
            text: execFileSync(process.execPath, args, { encoding: "utf8" }),
            json: JSON.parse(execFileSync(process.execPath, [...args, "--json"], { encoding: "utf8" })),
        };
    }
    function startAgent(extra: Record<string, unknown> = {}): { daemon: Daemon; stateDir: string } {
        const as = unprivileged();
        for (const d of [view.procRoot, view.devRoot, join(agentBundle(), "..")]) chmodSync(d, 0o755);
        const cfg = writeConfig({
            instanceId: IID, region: "us-east-1", sampleSeconds: 1, publishSeconds: 3,
            procRoot: view.procRoot, devRoot: view.devRoot, sshPorts: [sshd().port], sessionIdleSeconds: S, ...extra,
        });
        chmodSync(cfg.dir, 0o755);
        chownSync(cfg.stateDir, as.uid, as.gid);
        chownSync(cfg.holdsDir, as.uid, as.gid);
        const daemon = new Daemon(cfg.path, clientEnv(cw.url), agentBundle(), as);
        cleanups.push(async () => {
            await daemon.stop("SIGKILL");
        });
        return { daemon, stateDir: cfg.stateDir };
    }
    function status(stateDir: string): StatusFile | null {
        try {
            return JSON.parse(readFileSync(join(stateDir, "status.json"), "utf8")) as StatusFile;
        } catch {
            return null;
        }
    }
    function pidOf(user: string): number | undefined {
        return listSessions(view.procRoot).find((s) => s.user === user)?.pid;
    }
    function useOf(st: StatusFile | null, user: string): NonNullable<StatusFile["sessionUse"]>[number] | undefined {
        const pid = pidOf(user);
        return st?.sessionUse?.find((r) => r.pid === pid);
    }
    async function waitStatus(stateDir: string, ok: (st: StatusFile) => boolean, what: string, timeoutMs = (S + 25) * 1000): Promise<StatusFile> {
        return waitUntil(() => {
            const st = status(stateDir);
            return st !== null && ok(st) ? st : false;
        }, timeoutMs, `${what}; last status: ${JSON.stringify(status(stateDir)?.sessionUse)} active=${status(stateDir)?.active}`, 250);
    }
    /** Checks `ok` on every status update for ms. */
    async function holdsFor(stateDir: string, ms: number, ok: (st: StatusFile) => boolean, what: string): Promise<void> {
        const end = Date.now() + ms;
        while (Date.now() < end) {
            const st = status(stateDir);
            assert.ok(st !== null && ok(st), `${what}: ${JSON.stringify(st?.sessionUse)} active=${st?.active} connected=${st?.connected}`);
            await sleep(500);
        }
    }
    /** Max of each metric per period timestamp, from what reached the endpoint. */
    function maxima(metric: string): Map<number, number> {
        const m = new Map<number, number>();
        for (const d of cw.datapoints().filter((x) => x.metricName === metric)) {
            m.set(d.timestamp, Math.max(m.get(d.timestamp) ?? -Infinity, d.statisticValues?.Maximum ?? d.value ?? NaN));
        }
        return m;
    }

    it("a silent terminal session stops counting after sessionIdleSeconds; typing keeps one in use", async () => {
        const { stateDir } = startAgent();
        const silentUser = sshd().addUser();
        const typingUser = sshd().addUser();
        const silent = await sshd().openSession(silentUser, { pty: true });
        const typing = await sshd().openSession(typingUser, { pty: true });
        const typer = setInterval(() => typing.write("true\n"), 2000);
        cleanups.push(async () => {
            clearInterval(typer);
            await silent.close();
            await typing.close();
        });
        // logging in is use: both count at first
        await waitStatus(stateDir, (st) => useOf(st, silentUser)?.inUse === true && useOf(st, typingUser)?.inUse === true, "both sessions in use after login", 15000);
        const st = await waitStatus(stateDir, (x) => useOf(x, silentUser)?.inUse === false, "the silent session not in use");
        const silentUse = useOf(st, silentUser);
        assert.ok((silentUse?.idleSeconds ?? 0) >= S, JSON.stringify(silentUse));
        assert.equal(silentUse?.by, "terminal");
        assert.equal(st.connected, 2);
        assert.equal(st.active, 1);
        assert.equal(useOf(st, typingUser)?.inUse, true);
        const cli = statusCli(stateDir);
        const silentCli = cli.json.sessions.find((x) => x.user === silentUser);
        assert.equal(silentCli?.inUse, false);
        assert.ok((silentCli?.idleSeconds ?? 0) >= S, JSON.stringify(silentCli));
        assert.equal(cli.json.sessions.find((x) => x.user === typingUser)?.inUse, true);
        assert.equal(cli.json.connected, 2);
        assert.equal(cli.json.active, 1);
        assert.match(cli.text, new RegExp(`${silentUser} +pts/\\d+ +since \\S+ \\(\\S+\\) +idle \\S+ +does not count`));
        assert.match(cli.text, new RegExp(`${typingUser} +pts/\\d+ +since .* counts`));
        assert.match(cli.text, /sessions: +2 connected, 1 in use/);
        await holdsFor(stateDir, 12000, (x) => useOf(x, typingUser)?.inUse === true && useOf(x, silentUser)?.inUse === false && x.active === 1,
            "typing keeps its session in use, the silent one stays idle");
    });

    it("a no-terminal session carrying only VS Code-like keep-alives is not in use; ConnectedSessions still shows it", async () => {
        const { stateDir } = startAgent();
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 13, everyMs: 5000 });
        cleanups.push(() => t.close());
        const st = await waitStatus(stateDir, (x) => useOf(x, user)?.inUse === false, "the keep-alive session not in use");
        assert.equal(useOf(st, user)?.by, "traffic");
        assert.equal(st.traffic, "ok");
        assert.equal(st.connected, 1);
        assert.equal(st.active, 0);
        const cli = statusCli(stateDir);
        assert.deepEqual(cli.json.sessions.map((x) => [x.user, x.tty, x.inUse]), [[user, null, false]]);
        assert.equal(typeof cli.json.sessions[0].idleSeconds, "number");
        assert.match(cli.text, new RegExp(`${user} +no terminal +since .* does not count`));
        assert.ok(cli.json.idleSince !== null, "the box is idle although a session is connected");
        const idleFrom = Date.now();
        await holdsFor(stateDir, 9000, (x) => useOf(x, user)?.inUse === false && x.active === 0, "keep-alives do not make it in use");
        assert.ok(t.received() > 0, "keep-alive bytes crossed the forward");
        // published datapoints follow `active`, and carry ConnectedSessions in the same request
        const active = maxima("ActiveSessions");
        const connected = maxima("ConnectedSessions");
        const idlePeriods = [...active.keys()].filter((p) => p >= idleFrom);
        assert.ok(idlePeriods.length >= 1, `periods after ${idleFrom}: ${JSON.stringify([...active])}`);
        for (const p of idlePeriods) {
            assert.equal(active.get(p), 0, `ActiveSessions at ${new Date(p).toISOString()}`);
            assert.equal(connected.get(p), 1, `ConnectedSessions at ${new Date(p).toISOString()}`);
        }
        const both = cw.accepted("PutMetricData").some((r) => {
            const names = ((r.params.MetricData ?? []) as Array<{ MetricName: string }>).map((d) => d.MetricName);
            return names.includes("ActiveSessions") && names.includes("ConnectedSessions");
        });
        assert.ok(both, "ActiveSessions and ConnectedSessions travel in one PutMetricData request");
    });

    it("a no-terminal session carrying real traffic through a forward is in use, and the metric says so", async () => {
        const { stateDir } = startAgent({ sessionIdleSeconds: NOTTY_S });
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 200, everyMs: 2000 });
        cleanups.push(() => t.close());
        const loginAt = Date.now();
        await sleep((NOTTY_S + 5) * 1000); // past the login's own credit
        const st = await waitStatus(stateDir, (x) => useOf(x, user) !== undefined, "the session");
        const u = useOf(st, user);
        assert.equal(u?.inUse, true, JSON.stringify(u));
        assert.equal(u?.by, "traffic");
        assert.ok(u?.lastActivityAt && Date.parse(u.lastActivityAt) > loginAt + NOTTY_S * 1000 - 6000, `credited recently: ${JSON.stringify(u)}`);
        assert.equal(st.active, 1);
        const late = (): Array<[number, number]> => [...maxima("ActiveSessions").entries()].filter(([p]) => p >= loginAt + NOTTY_S * 1000);
        await waitUntil(() => late().length >= 1, 30000, "a datapoint for a period after the login's own credit");
        assert.ok(late().every(([, v]) => v === 1), JSON.stringify(late()));
    });

    /** Runs one sftp batch command rate-limited to `kbits`, and checks its session counts while it is still going. */
    async function assertSftpInUse(user: string, kbits: number, command: string, removeAfter: string): Promise<void> {
        const { stateDir } = startAgent();
        const sftp = spawn("sftp", [...sshd().clientOptions().map((a) => (a === "-p" ? "-P" : a)), "-l", String(kbits), "-b", "-", `${user}@${sshd().host}`], { stdio: ["pipe", "pipe", "pipe"] });
        sftp.stdin.end(`${command}\n`);
        cleanups.push(() => {
            sftp.kill("SIGKILL");
            execFileSync("rm", ["-f", removeAfter]);
        });
        await waitUntil(() => pidOf(user), 20000, "the sftp session");
        await sleep((S + 5) * 1000);
        assert.equal(sftp.exitCode, null, "the transfer is still running");
        const st = await waitStatus(stateDir, (x) => useOf(x, user) !== undefined, "the sftp session");
        assert.equal(useOf(st, user)?.inUse, true, JSON.stringify(st.sessionUse));
        assert.equal(st.active, 1);
    }

    it("an sftp transfer in progress is in use", async () => {
        const user = sshd().addUser();
        const file = join(tempDir(), "upload.bin");
        writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 7));
        // 160 kbit/s: the 2 MiB upload takes well over sessionIdleSeconds
        const target = `/tmp/idle-stop-sftp-${user}.bin`;
        await assertSftpInUse(user, 160, `put ${file} ${target}`, target);
    });

    it("an sftp download in progress is in use (it sends the server little, but receives a lot)", async () => {
        const user = sshd().addUser();
        const remote = `/tmp/idle-stop-sftp-get-${user}.bin`;
        writeFileSync(remote, Buffer.alloc(4 * 1024 * 1024, 9));
        // 400 kbit/s (~3 MB/min down, well under 3 KB/min of requests up): outlasts sessionIdleSeconds
        await assertSftpInUse(user, 400, `get ${remote} /dev/null`, remote);
    });

    it("a detached tmux running top does not count; input on a terminal sshd did not open does, as one", async () => {
        const { stateDir } = startAgent();
        // The second terminal (`script`, typed into) starts now but joins the agent's view only after
        // the tmux part: the agent judges a terminal by its access time alone, so the wait past the
        // terminal's creation runs meanwhile.
        const script: ChildProcess = spawn("script", ["-qfc", "cat", "/dev/null"], { stdio: ["pipe", "ignore", "ignore"] });
        cleanups.push(() => {
            script.kill("SIGKILL");
        });
        const cat = await waitUntil(() => descendantsOf(script.pid as number).find((p) => ttyOf(p) !== null), 10000, "script's terminal");
        const scriptTty = ttyOf(cat) as string;
        const scriptCreatedAt = Date.now();
        const typer = setInterval(() => script.stdin?.write("hello\n"), 2000);
        cleanups.push(() => clearInterval(typer));
        const sock = join(tempDir(), "tmux.sock");
        execFileSync("tmux", ["-S", sock, "new-session", "-d", "-x", "80", "-y", "24", "top -d 1"]);
        cleanups.push(() => {
            try {
                execFileSync("tmux", ["-S", sock, "kill-server"], { stdio: "ignore" });
            } catch {
                /* gone */
            }
        });
        const tmuxTty = execFileSync("tmux", ["-S", sock, "display-message", "-p", "#{pane_tty}"], { encoding: "utf8" }).trim().replace(/^\/dev\//, "");
        assert.match(tmuxTty, /^pts\/\d+$/);
        view.addTerminal(tmuxTty);
        const paneSeenFrom = Date.now() + 500; // a status written after this comes from a sample that saw the pane
        // top redraws every second (output); a new terminal counts from its creation, then not
        const st = await waitStatus(stateDir, (x) => Date.parse(x.updatedAt) > paneSeenFrom && x.otherTerminalsInUse === 0 && x.active === 0, "the tmux pane not in use");
        assert.equal(st.connected, 0);
        await holdsFor(stateDir, 6000, (x) => x.active === 0, "top's output never counts");

        view.addTerminal(scriptTty);
        await sleep(Math.max(0, scriptCreatedAt + (S + 10) * 1000 - Date.now())); // past its creation: only the input keeps it in use now
        const st2 = await waitStatus(stateDir, () => true, "status");
        assert.equal(st2.otherTerminalsInUse, 1, JSON.stringify(st2));
        assert.equal(st2.active, 1);
        const cli = JSON.parse(execFileSync(process.execPath, [agentBundle(), "status", "--json", "--config", join(stateDir, "..", "agent.json")], { encoding: "utf8" })) as { otherTerminals: { ttys: string[] }; active: number };
        assert.deepEqual(cli.otherTerminals.ttys, [scriptTty]);
        assert.ok(!cli.otherTerminals.ttys.includes(tmuxTty));
    });

    it("with sessionIdleSeconds 0 the original rule holds: every connected session counts", async () => {
        const { stateDir } = startAgent({ sessionIdleSeconds: 0 });
        const a = sshd().addUser();
        const b = sshd().addUser();
        const pty = await sshd().openSession(a, { pty: true });
        const notty = await sshd().openSession(b, { pty: false });
        cleanups.push(async () => {
            await pty.close();
            await notty.close();
        });
        await waitStatus(stateDir, (x) => x.connected === 2, "two sessions", 15000);
        await sleep((S + 10) * 1000);
        const st = await waitStatus(stateDir, () => true, "status");
        assert.equal(st.active, 2);
        assert.deepEqual(st.sessionUse?.map((r) => [r.inUse, r.by]), [[true, "connected"], [true, "connected"]]);
    });
});
