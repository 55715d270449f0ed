// Use detection's pure parts: `ss` output parsing (text as iproute2 6.1 prints it on this
// machine), traffic rates, crediting busy connections to sessions without a terminal, the
// warning line, and the new config keys. The real-sshd behaviour is in activity-sshd-*.test.ts.
import * as assert from "node:assert/strict";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentActivity, seedFromStatus } from "../../agent/src/daemon/activity";
import { ActivityTracker } from "../../agent/src/signals/activity-tracker";
import { sessionKey } from "../../agent/src/signals/session-use";
import { warningText } from "../../agent/src/daemon/stop-warning";
import { parseSs, ssArgs, trafficRates } from "../../agent/src/signals/tcp-traffic";
import { parseConfig } from "../../agent/src/config";
import { UsageError } from "../../common/errors";
import { activitySettings } from "../../agent/src/signals/sample";
import { listSessions } from "../../agent/src/signals/sessions";
import { tempDir } from "../support/agent";
import { FakeProc } from "../support/fakeproc";

const SS = `0      0      127.0.0.1:43035 127.0.0.1:47762
\t bbr wscale:10,10 rto:204 rtt:3.452/6.552 ato:40 mss:42496 pmtu:65535 rcvmss:1560 advmss:65483 cwnd:18 bytes_sent:3509 bytes_acked:3509 bytes_received:3761 segs_out:17 segs_in:26 data_segs_out:14 data_segs_in:14 send 1772718424bps lastsnd:2088 lastrcv:2088 lastack:2088 app_limited busy:88ms rcv_space:65483 minrtt:0.015 snd_wnd:84992
0      0      [::1]:22 [::1]:55002
\t bbr wscale:10,10 rto:204 rtt:0.015/0.005 mss:32768 bytes_sent:1800 bytes_acked:1801 segs_out:11 segs_in:10 lastsnd:1392 lastrcv:17400 lastack:1392
`;

describe("use detection: parsing and attribution", () => {
    it("parses ss -tinH output into per-connection received bytes (0 when the peer sent nothing)", () => {
        assert.deepEqual(parseSs(SS), [
            { id: "127.0.0.1:43035 127.0.0.1:47762", bytesReceived: 3761, bytesAcked: 3509 },
            { id: "[::1]:22 [::1]:55002", bytesReceived: 0, bytesAcked: 1801 },
        ]);
        assert.deepEqual(ssArgs([22, 2222]), ["-tinH", "state", "established", "( sport = :22 or sport = :2222 )"]);
    });

    it("computes per-minute rates only for connections present in both snapshots", () => {
        const a = {
            at: 0,
            sockets: [
                { id: "x", bytesReceived: 100, bytesAcked: 50 },
                { id: "gone", bytesReceived: 5, bytesAcked: 0 },
            ],
        };
        const b = {
            at: 30000,
            sockets: [
                { id: "x", bytesReceived: 700, bytesAcked: 1050 },
                { id: "new", bytesReceived: 9000, bytesAcked: 0 },
            ],
        };
        assert.deepEqual(trafficRates(a, b), [{ id: "x", bytesPerMinute: 1200, sentBytesPerMinute: 2000 }]);
    });

    it("credits as many no-terminal sessions as there are busy connections, the busiest sshd processes first", () => {
        const now = Date.now();
        const fake = new FakeProc(Math.floor(now / 1000) - 7200).withListener();
        for (const [pid, user] of [
            [201, "a"],
            [211, "b"],
            [221, "c"],
        ] as const)
            fake.addSession({ pid, user, uid: 1000 + pid, tty: null, starttime: 100 });
        // sshd's CPU time per session process: b works hardest, then c
        const cpu = (pid: number, ns: number): void => writeFileSync(join(fake.root, String(pid), "schedstat"), `${ns} 0 0\n`);
        cpu(201, 1000);
        cpu(211, 1000);
        cpu(221, 1000);
        const dev = tempDir();
        mkdirSync(join(dev, "pts"));
        const c = parseConfig({ procRoot: fake.root, devRoot: dev, sessionIdleSeconds: 600 }, "test");
        const t = new ActivityTracker(activitySettings(c), {
            measureTraffic: true,
            startedAt: now - 3600_000,
            snapshot: () => new Promise(() => undefined),
        });
        const sessions = listSessions(fake.root);
        const first = t.assess(sessions, now);
        assert.deepEqual(
            first.sessions.map((s) => s.inUse),
            [false, false, false],
            "idle since the agent started an hour ago",
        );
        t.credit({
            at: now - 60000,
            sockets: [
                { id: "1", bytesReceived: 0, bytesAcked: 0 },
                { id: "2", bytesReceived: 0, bytesAcked: 0 },
                { id: "3", bytesReceived: 0, bytesAcked: 0 },
            ],
        });
        cpu(201, 2000);
        cpu(211, 90_000_000);
        cpu(221, 5_000_000);
        // one connection busy (6 KB in a minute), two carrying keep-alives (1.2 KB)
        t.credit({
            at: now,
            sockets: [
                { id: "1", bytesReceived: 1248, bytesAcked: 0 },
                { id: "2", bytesReceived: 6000, bytesAcked: 0 },
                { id: "3", bytesReceived: 1248, bytesAcked: 0 },
            ],
        });
        const u = t.assess(sessions, now + 1000);
        assert.deepEqual(
            u.sessions.map((s) => [s.user, s.inUse, s.by]),
            [
                ["a", false, "traffic"],
                ["b", true, "traffic"],
                ["c", false, "traffic"],
            ],
        );
        assert.equal(u.active, 1);
        assert.equal(u.connected, 3);
        assert.equal(t.credits().get(sessionKey(sessions[1])), now);
        // a download asks for little (a slow sftp get: ~700 B/min up) but receives a lot: it counts too
        cpu(221, 99_000_000);
        t.credit({
            at: now + 60000,
            sockets: [
                { id: "1", bytesReceived: 2000, bytesAcked: 0 },
                { id: "2", bytesReceived: 6700, bytesAcked: 0 },
                { id: "3", bytesReceived: 1976, bytesAcked: 2_000_000 },
            ],
        });
        const d = t.assess(sessions, now + 61000);
        assert.deepEqual(
            d.sessions.map((s) => [s.user, s.inUse]),
            [
                ["a", false],
                ["b", true],
                ["c", true],
            ],
        );
    });

    it("judges terminal sessions by input time and counts other terminals with input as one", () => {
        const now = Date.now();
        const fake = new FakeProc(Math.floor(now / 1000) - 7200).withListener();
        fake.addSession({ pid: 301, user: "typing", uid: 1301, tty: "pts/1", starttime: 100 });
        fake.addSession({ pid: 311, user: "silent", uid: 1311, tty: "pts/2", starttime: 100 });
        const dev = tempDir();
        mkdirSync(join(dev, "pts"));
        const tty = (n: number, inputAgoS: number): void => {
            const f = join(dev, "pts", String(n));
            writeFileSync(f, "");
            utimesSync(f, (now - inputAgoS * 1000) / 1000, now / 1000); // atime = input, mtime = output (now)
        };
        tty(1, 5);
        tty(2, 4000);
        tty(7, 30);
        tty(8, 20);
        tty(9, 9000);
        const c = parseConfig({ procRoot: fake.root, devRoot: dev, sessionIdleSeconds: 3600 }, "test");
        const u = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now }).assess(listSessions(fake.root), now);
        assert.deepEqual(
            u.sessions.map((s) => [s.user, s.inUse, s.idleSeconds]),
            [
                ["typing", true, 5],
                ["silent", false, 4000],
            ],
        );
        assert.deepEqual(u.otherTerminals.ttys.sort(), ["pts/7", "pts/8"]);
        assert.equal(u.active, 2, "one session in use + other terminals as one");
        const old = new ActivityTracker(activitySettings({ ...c, sessionIdleSeconds: 0 }), { measureTraffic: false, startedAt: now }).assess(
            listSessions(fake.root),
            now,
        );
        assert.equal(old.active, 2, "rule off: both connected sessions, other terminals not looked at");
        assert.equal(old.otherTerminals.inUse, 0);
    });

    it("writes a warning line wall does not fold (79 columns)", () => {
        const now = Date.parse("2026-11-27T13:55:00Z");
        const line = warningText(Date.parse("2026-11-27T14:05:00Z"), now);
        assert.equal(line, "idle-stop: stops at 14:05 UTC (in 10m). Keep it: type, or idle-stop hold 1h");
        assert.ok(warningText(now + 1439 * 60000, now).length <= 79);
    });

    it("reads the new agent.json keys with defaults and rejects bad values", () => {
        const d = parseConfig({}, "t");
        assert.deepEqual(
            [d.sessionIdleSeconds, d.trafficBytesPerMinute, d.downloadBytesPerMinute, d.sshPorts, d.busyCpuPercent, d.warnMinutes, d.devRoot],
            [3600, 3000, 1048576, [22], 0, 0, "/dev"],
        );
        for (const bad of [
            { sshPorts: [] },
            { sshPorts: [0] },
            { sshPorts: "22" },
            { sessionIdleSeconds: -1 },
            { busyCpuPercent: 101 },
            { trafficBytesPerMinute: 0 },
            { warnMinutes: 1.5 },
        ]) {
            assert.throws(
                () => parseConfig(bad, "t"),
                (e: unknown) => e instanceof UsageError && e.message.includes(Object.keys(bad)[0]),
                JSON.stringify(bad),
            );
        }
    });
});

describe("use detection across a daemon restart", () => {
    it("a restarted daemon (or status) picks up the traffic credits from the status file", () => {
        const now = Date.now();
        const fake = new FakeProc(Math.floor(now / 1000) - 7200).withListener();
        fake.addSession({ pid: 501, user: "vscode", uid: 1501, tty: null, starttime: 100 });
        const dev = tempDir();
        mkdirSync(join(dev, "pts"));
        const c = {
            ...parseConfig({ procRoot: fake.root, devRoot: dev, sessionIdleSeconds: 600, instanceId: "i-0123456789abcdef0" }, "test"),
            instanceId: "i-0123456789abcdef0",
        };
        const sessions = listSessions(fake.root);
        // the old daemon credited the session 100 s ago and wrote that to its status file
        const before = new AgentActivity(c, now - 3600_000, new Map([[sessionKey(sessions[0]), now - 100_000]]));
        const s = { at: now, sessions, holds: [], use: before.tracker.assess(sessions, now), active: 0 };
        const written = JSON.parse(JSON.stringify(before.status(s))) as Parameters<typeof seedFromStatus>[0];
        const seed = seedFromStatus(written);
        assert.deepEqual([...seed], [[sessionKey(sessions[0]), now - 100_000]]);
        const after = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now, seed }).assess(sessions, now + 1000);
        assert.deepEqual(
            after.sessions.map((x) => [x.inUse, x.idleSeconds, x.by]),
            [[true, 101, "traffic"]],
        );
        // without the record: a status reader cannot judge it, so it counts (connected), idle unknown
        const blind = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now }).assess(sessions, now);
        assert.deepEqual(
            blind.sessions.map((x) => [x.inUse, x.idleSeconds, x.by]),
            [[true, null, "connected"]],
        );
    });
});
