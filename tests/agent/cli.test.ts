// CLI surface: help, usage and config errors (exit 2), and `status` as seen by an ordinary user
// who cannot write stateDir, while the daemon (root) runs.
import * as assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentBundle, Daemon, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { SshdFixture, waitUntil } from "../support/sshd";

describe("agent CLI", function () {
    this.timeout(60000);

    it("--help works for every command and bad usage exits 2", async () => {
        const top = await runAgent(["--help"]);
        assert.equal(top.code, 0);
        for (const c of ["sessions", "once", "run", "status", "hold", "release", "keep-awake"]) {
            assert.match(top.stdout, new RegExp(`^  ${c}\\b`, "m"));
            const r = await runAgent([c, "--help"]);
            assert.equal(r.code, 0, c);
            assert.match(r.stdout, new RegExp(`^usage: idle-stop-agent.js ${c}\\b`), c);
        }
        for (const args of [
            [],
            ["frobnicate"],
            ["sessions", "--jsno"],
            ["sessions", "extra"],
            ["hold"],
            ["release", "abc", "--all"],
            ["keep-awake"],
            ["status", "--config"],
        ]) {
            const r = await runAgent(args);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.ok(r.stderr.length > 0);
        }
    });

    it("rejects bad config files with exit 2 and a message naming the key and what is allowed", async () => {
        const dir = tempDir();
        const cases: Array<[string, RegExp]> = [
            ["{not json", /not valid JSON/],
            ["[]", /must be a JSON object/],
            [JSON.stringify({ instanceId: "i-123" }), /"instanceId" is "i-123"; allowed: i- followed by 8 or 17 hex digits/],
            [JSON.stringify({ sampleSeconds: 0 }), /"sampleSeconds" is 0; allowed: an integer 1\.\.3600/],
            [JSON.stringify({ sampleSeconds: 30, publishSeconds: 10 }), /"publishSeconds" \(10\) must be >= "sampleSeconds" \(30\)/],
            [JSON.stringify({ idleMinutes: 2000 }), /"idleMinutes" is 2000; allowed: an integer 1\.\.1440/],
            [JSON.stringify({ stateDir: "relative/dir" }), /"stateDir" .*absolute path/],
            [JSON.stringify({ publishSecond: 60 }), /unknown key "publishSecond"/],
            [JSON.stringify({ region: "Mars" }), /"region" is "Mars"/],
        ];
        for (const [text, re] of cases) {
            const p = join(dir, "bad.json");
            writeFileSync(p, text);
            const r = await runAgent(["sessions", "--config", p]);
            assert.equal(r.code, 2, text);
            assert.match(r.stderr, re, text);
        }
        const noId = writeConfig({ region: "eu-west-1" });
        const r = await runAgent(["once", "--config", noId.path]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /"instanceId" is required/);
        const ok = writeConfig({ _comment: "comments are fine", instanceId: "i-0123456789abcdef0", region: "eu-west-1" });
        assert.equal((await runAgent(["sessions", "--config", ok.path])).code, 0);
    });

    it("status works for an ordinary user who cannot write stateDir, from the daemon's status file", async () => {
        const cw = await startCloudWatchEndpoint();
        const users = new SshdFixture();
        const fake = new FakeProc().withListener();
        fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const dir = tempDir();
        chmodSync(dir, 0o755);
        chmodSync(join(agentBundle(), ".."), 0o755);
        chmodSync(fake.root, 0o755);
        const cfg = writeConfig(
            {
                instanceId: "i-0123456789abcdef0",
                region: "eu-west-1",
                sampleSeconds: 1,
                publishSeconds: 3,
                procRoot: fake.root,
                idleMinutes: 15,
                alarmName: "a1",
                sessionIdleSeconds: 0,
            },
            dir,
        );
        chmodSync(cfg.stateDir, 0o755);
        const d = new Daemon(cfg.path, clientEnv(cw.url));
        try {
            const user = users.addUser({ noKey: true });
            const uid = Number(
                readFileSync("/etc/passwd", "utf8")
                    .split("\n")
                    .find((l) => l.startsWith(`${user}:`))
                    ?.split(":")[2],
            );
            const as = { uid, gid: uid };
            await waitUntil(() => d.events("published").length > 0 && d.events("rearmed").length > 0, 20000, "first publish");
            await waitUntil(
                () =>
                    (JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { lastPublishAt: string | null }).lastPublishAt !== null,
                5000,
                "status file with the publish",
            );
            const st = statSync(join(cfg.stateDir, "status.json"));
            assert.equal(st.mode & 0o777, 0o644, "status file is world-readable");
            const w = await runAgent(["hold", "1h", "--config", cfg.path], as);
            assert.equal(w.code, 1, "this user cannot write this holds dir (it is not 1777)");

            const r = await runAgent(["status", "--json", "--config", cfg.path], as);
            assert.equal(r.code, 0, r.stderr);
            const j = JSON.parse(r.stdout) as {
                daemon: { running: boolean; rearm: string };
                active: number;
                connected: number;
                sessions: Array<{ user: string; inUse: boolean; idleSeconds: number | null }>;
                lastPublishAt: string | null;
                backlog: number;
                idle: boolean;
                idleMinutesSoFar: number;
                stopExpectedAt: string | null;
                config: { idleMinutes: number };
            };
            assert.equal(j.daemon.running, true);
            assert.equal(j.daemon.rearm, "done");
            assert.deepEqual(
                j.sessions.map((s) => s.user),
                ["alice"],
            );
            assert.equal(j.active, 1);
            assert.equal(j.connected, 1);
            assert.equal(j.sessions[0].inUse, true, "sessionIdleSeconds 0: connected is enough");
            assert.ok(j.sessions[0].idleSeconds === null || typeof j.sessions[0].idleSeconds === "number");
            assert.ok(j.lastPublishAt && Date.now() - Date.parse(j.lastPublishAt) < 10000);
            assert.equal(j.backlog, 0);
            assert.equal(j.idle, false);
            assert.equal(j.stopExpectedAt, null);

            fake.remove(201).remove(200);
            const t = Date.now();
            await waitUntil(
                () => (JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { active: number }).active === 0,
                5000,
                "daemon sees no session",
            );
            const r2 = await runAgent(["status", "--json", "--config", cfg.path], as);
            const j2 = JSON.parse(r2.stdout) as typeof j & { idleSince: string };
            assert.equal(j2.idle, true);
            assert.equal(j2.idleMinutesSoFar, 0);
            assert.ok(Math.abs(Date.parse(j2.idleSince) - t) < 3000, j2.idleSince);
            const expected = Math.ceil(Date.parse(j2.idleSince) / 60000) * 60000 + 15 * 60000;
            assert.equal(Date.parse(j2.stopExpectedAt as string), expected);

            const human = await runAgent(["status", "--config", cfg.path], as);
            assert.equal(human.code, 0);
            assert.match(human.stdout, /daemon: +running, pid \d+/);
            assert.match(human.stdout, /last publish: \S+Z \(\d+s ago\)/);
            assert.match(human.stdout, /backlog: +0 datapoints/);
            assert.match(human.stdout, /idle: +0 min .*the alarm would stop the instance at about \S+ \(in 1[45]m/);
        } finally {
            await d.stop();
            await users.stop();
            await cw.close();
        }
        // after the daemon stopped, status says so
        const after = await runAgent(["status", "--config", cfg.path]);
        assert.match(after.stdout, /daemon: +(running|NOT running)/);
    });
});
