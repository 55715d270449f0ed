// Keep-awake holds: hold / release / keep-awake from the CLI, as root and as an ordinary user,
// and their effect on the published metric (a hold counts as one active session).
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatDuration, parseDuration } from "../../agent/src/system/duration";
import { agentBundle, Daemon, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { SshdFixture, sleep, waitUntil } from "../support/sshd";

const IID = "i-0123456789abcdef0";

interface StatusJson {
    active: number;
    holds: Array<{ id: string; user: string; uid: number; reason: string | null; expiresAt: string | null; owner: { pid: number } | null }>;
    sessions: unknown[];
}

async function status(cfgPath: string, opts: { uid?: number; gid?: number } = {}): Promise<StatusJson> {
    const r = await runAgent(["status", "--json", "--config", cfgPath], opts);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as StatusJson;
}

describe("keep-awake holds", function () {
    this.timeout(90000);

    it("parses durations like 90m, 2h, 1h30m, 45s and rejects others", () => {
        assert.equal(parseDuration("90m"), 90 * 60000);
        assert.equal(parseDuration("2h"), 2 * 3600000);
        assert.equal(parseDuration("1h30m"), 90 * 60000);
        assert.equal(parseDuration("45s"), 45000);
        assert.equal(parseDuration("1d"), 86400000);
        for (const bad of ["", "90", "2x", "h", "1.5h", "30m1h", "0m", "8d", "-5m"]) assert.throws(() => parseDuration(bad), /bad duration/, bad);
        assert.equal(formatDuration(90 * 60000), "1h30m");
    });

    it("hold prints id and expiry, counts in status, release ID / release / --all remove holds", async () => {
        // the original rule (connected is enough, other terminals not looked at): whatever SSH sessions
        // this shared machine has, a hold adds exactly one
        const cfg = writeConfig({ sessionIdleSeconds: 0 });
        const t0 = Date.now();
        const h = await runAgent(["hold", "2h", "--reason", "nightly build", "--config", cfg.path]);
        const t1 = Date.now();
        assert.equal(h.code, 0, h.stderr);
        const m = /^hold ([0-9a-f]{8}) until (\S+) \(2h\) "nightly build"\n$/.exec(h.stdout);
        assert.ok(m, h.stdout);
        // Two hours from the moment the command ran (however long a loaded machine took to start it).
        const expiry = Date.parse(m[2]);
        assert.ok(
            expiry >= t0 + 7200000 - 1000 && expiry <= t1 + 7200000 + 1000,
            `${m[2]} for a hold made between ${new Date(t0).toISOString()} and ${new Date(t1).toISOString()}`,
        );
        let st = await status(cfg.path);
        assert.deepEqual(
            st.holds.map((x) => [x.id, x.reason, x.expiresAt]),
            [[m[1], "nightly build", m[2]]],
        );
        assert.equal(st.active, st.sessions.length + 1);

        const bad = await runAgent(["hold", "2 hours", "--config", cfg.path]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /bad duration/);

        assert.equal((await runAgent(["release", m[1], "--config", cfg.path])).code, 0);
        assert.equal((await status(cfg.path)).holds.length, 0);
        const again = await runAgent(["release", m[1], "--config", cfg.path]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /no hold/);

        await runAgent(["hold", "1h", "--config", cfg.path]);
        await runAgent(["hold", "30m", "--config", cfg.path]);
        assert.equal((await status(cfg.path)).holds.length, 2);
        const rel = await runAgent(["release", "--config", cfg.path]);
        assert.equal(rel.code, 0, rel.stderr);
        assert.equal((rel.stdout.match(/released/g) ?? []).length, 2);
        st = await status(cfg.path);
        assert.equal(st.holds.length, 0);
    });

    it("an ordinary user can hold in the shared 1777 dir; only the owner or root can release it", async () => {
        const users = new SshdFixture(); // user management only, no sshd
        try {
            const user = users.addUser({ noKey: true });
            const uid = Number(
                readFileSync("/etc/passwd", "utf8")
                    .split("\n")
                    .find((l) => l.startsWith(`${user}:`))
                    ?.split(":")[2],
            );
            const dir = tempDir();
            chmodSync(dir, 0o755);
            chmodSync(join(agentBundle(), ".."), 0o755);
            const cfg = writeConfig({}, dir);
            chmodSync(cfg.stateDir, 0o755);
            chmodSync(cfg.holdsDir, 0o1777);
            const as = { uid, gid: uid };
            const h = await runAgent(["hold", "45s", "--reason", "user hold", "--config", cfg.path], as);
            assert.equal(h.code, 0, h.stderr);
            const id = /^hold ([0-9a-f]{8})/.exec(h.stdout)?.[1] as string;
            assert.equal(statSync(join(cfg.holdsDir, `${id}.json`)).uid, uid);
            const rootHold = await runAgent(["hold", "1h", "--config", cfg.path]);
            const rootId = /^hold ([0-9a-f]{8})/.exec(rootHold.stdout)?.[1] as string;

            const st = await status(cfg.path, as);
            assert.deepEqual(
                st.holds.map((x) => [x.id, x.user, x.uid]).sort(),
                [
                    [id, user, uid],
                    [rootId, "root", 0],
                ].sort(),
            );
            const deny = await runAgent(["release", rootId, "--config", cfg.path], as);
            assert.equal(deny.code, 1);
            assert.match(deny.stderr, /belongs to someone else/);
            const own = await runAgent(["release", "--config", cfg.path], as);
            assert.equal(own.code, 0, own.stderr);
            assert.ok(!existsSync(join(cfg.holdsDir, `${id}.json`)));
            assert.ok(existsSync(join(cfg.holdsDir, `${rootId}.json`)));
            const all = await runAgent(["release", "--all", "--config", cfg.path]);
            assert.equal(all.code, 0, all.stderr);
            assert.deepEqual(readdirSync(cfg.holdsDir), []);
        } finally {
            await users.stop();
        }
    });

    it("keep-awake holds while CMD runs, forwards signals, exits with CMD's code; the hold ends with it", async () => {
        const cfg = writeConfig({});
        // exit code
        const r = await runAgent(["keep-awake", "--config", cfg.path, "--", "sh", "-c", "exit 3"]);
        assert.equal(r.code, 3, r.stderr);
        assert.deepEqual(readdirSync(cfg.holdsDir), []);
        const nf = await runAgent(["keep-awake", "--config", cfg.path, "--", "/nonexistent/cmd"]);
        assert.equal(nf.code, 127);
        assert.deepEqual(readdirSync(cfg.holdsDir), []);

        // hold visible while running; SIGTERM is forwarded and CMD's exit code comes back
        const ka = spawn(
            process.execPath,
            [agentBundle(), "keep-awake", "--reason", "build", "--config", cfg.path, "--", "sh", "-c", 'trap "exit 7" TERM; sleep 30 & wait'],
            { stdio: "ignore" },
        );
        try {
            const st = await waitUntil(
                async () => {
                    const s = await status(cfg.path);
                    return s.holds.length === 1 ? s : false;
                },
                10000,
                "keep-awake hold",
            );
            assert.equal(st.holds[0].owner?.pid, ka.pid);
            assert.equal(st.holds[0].expiresAt, null);
            assert.equal(st.holds[0].reason, "build");
            await sleep(300);
            ka.kill("SIGTERM");
            const code = await new Promise<number | null>((res) => ka.on("exit", (c) => res(c)));
            assert.equal(code, 7);
            assert.deepEqual(readdirSync(cfg.holdsDir), []);
        } finally {
            ka.kill("SIGKILL");
        }
    });

    it("a keep-awake killed with SIGKILL leaves no active hold", async () => {
        const cfg = writeConfig({});
        const pidFile = join(cfg.dir, "cmd.pid");
        const ka = spawn(
            process.execPath,
            [agentBundle(), "keep-awake", "--config", cfg.path, "--", "sh", "-c", `echo $$ > ${pidFile}; exec sleep 60`],
            { stdio: "ignore" },
        );
        let cmdPid = 0;
        try {
            await waitUntil(async () => (await status(cfg.path)).holds.length === 1, 10000, "hold");
            cmdPid = await waitUntil(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : false), 5000, "cmd pid");
            ka.kill("SIGKILL");
            await new Promise((res) => ka.on("exit", res));
            assert.equal(readdirSync(cfg.holdsDir).length, 1, "the file is still there...");
            const st = await status(cfg.path);
            assert.equal(st.holds.length, 0, "...but the hold is over: its owner is gone");
        } finally {
            ka.kill("SIGKILL");
            if (cmdPid > 0) {
                try {
                    process.kill(cmdPid, "SIGKILL");
                } catch {
                    /* gone */
                }
            }
        }
    });

    describe("effect on the metric", () => {
        let cw: CloudWatchEndpoint;
        const daemons: Daemon[] = [];
        before(async () => {
            cw = await startCloudWatchEndpoint();
        });
        after(async () => {
            for (const d of daemons) await d.stop("SIGKILL");
            await cw.close();
        });
        // Short periods (each check waits for one full period to be published), still two samples each.
        const P = 2000;
        function maxAt(t: number): number | undefined {
            const ps = cw.datapoints().filter((p) => p.timestamp === t && p.metricName === "ActiveSessions");
            return ps.length ? Math.max(...ps.map((p) => p.statisticValues?.Maximum ?? NaN)) : undefined;
        }
        async function fullPeriodMax(): Promise<number> {
            // the next period that starts after now, once published
            const t = (Math.floor(Date.now() / P) + 1) * P;
            await waitUntil(() => maxAt(t) !== undefined, 20000, `period ${new Date(t).toISOString()}`);
            return maxAt(t) as number;
        }

        it("holds and keep-awake raise the metric, survive a restart, and expire on their own", async () => {
            cw.reset();
            const fake = new FakeProc().withListener(); // no SSH sessions at all
            const noTerminals = tempDir(); // and no terminals: other terminals with input would count
            const cfg = writeConfig({
                instanceId: IID,
                region: "eu-west-1",
                sampleSeconds: 1,
                publishSeconds: P / 1000,
                procRoot: fake.root,
                devRoot: noTerminals,
            });
            const env = clientEnv(cw.url);
            let d = new Daemon(cfg.path, env);
            daemons.push(d);
            // A first start counts its first period as in use (the re-arm), and a daemon slow to
            // start (parallel tests) may sample first in the period after now: wait it out.
            await waitUntil(() => cw.datapoints().some((p) => p.metricName === "ActiveSessions"), 20000, "the first (re-arming) period");
            assert.equal(await fullPeriodMax(), 0, "idle box");

            const h = await runAgent(["hold", "1h", "--config", cfg.path]);
            const id = /^hold ([0-9a-f]{8})/.exec(h.stdout)?.[1] as string;
            assert.equal(await fullPeriodMax(), 1, "a hold counts as a session");
            await d.stop();
            d = new Daemon(cfg.path, env);
            daemons.push(d);
            assert.equal(await fullPeriodMax(), 1, "the hold survives an agent restart");
            await runAgent(["release", id, "--config", cfg.path]);
            assert.equal(await fullPeriodMax(), 0, "released");

            await runAgent(["hold", "4s", "--config", cfg.path]);
            await runAgent(["hold", "1h", "--config", cfg.path]);
            assert.equal(await fullPeriodMax(), 2, "two holds, two sessions' worth");
            await sleep(4000);
            assert.equal(await fullPeriodMax(), 1, "the 4s hold expired on its own");
            await waitUntil(() => readdirSync(cfg.holdsDir).length === 1, 5000, "expired hold file removed by the daemon");
            await runAgent(["release", "--all", "--config", cfg.path]);

            const ka = runAgent(["keep-awake", "--config", cfg.path, "--", "sleep", "5"], { timeoutMs: 30000 });
            await waitUntil(() => readdirSync(cfg.holdsDir).some((n) => /^[0-9a-f]{8}\.json$/.test(n)), 5000, "keep-awake's hold");
            assert.equal(await fullPeriodMax(), 1, "keep-awake counts while its command runs");
            assert.equal((await ka).code, 0);
            assert.equal(await fullPeriodMax(), 0, "and stops counting when it ends");
            assert.match(d.stderr, /event=hold_expired/);
            await d.stop();
            assert.ok(cw.requests.every((r) => r.signature.valid));
        });
    });
});
