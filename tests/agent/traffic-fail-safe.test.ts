// The traffic rule's guards (agent/src/signals/client-traffic.ts, docs/reference/metric.md): a
// socket younger than loginGraceSeconds credits only sessions that logged in after it appeared;
// when `ss` fails or sees fewer sockets than sessions, sessions without a terminal count while
// connected, with the reason, and the daemon is told once. Snapshots given as `ss` prints them
// (parsed values); the real-sshd versions are in activity-sshd-traffic.test.ts.
import * as assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../agent/src/config";
import { ClientTraffic, ClientTrafficOptions } from "../../agent/src/signals/client-traffic";
import { NetTransfer } from "../../agent/src/signals/net-transfer";
import { activitySettings } from "../../agent/src/signals/sample";
import { sessionShares } from "../../agent/src/signals/session-use";
import { Session } from "../../agent/src/signals/sessions";
import { SocketCounters, TrafficSnapshot } from "../../agent/src/signals/tcp-traffic";
import { tempDir } from "../support/agent";

const NOW = Date.parse("2026-12-03T12:00:00Z");

function notty(pid: number, user: string, since: number): Session {
    return {
        pid,
        user,
        tty: null,
        ttys: [],
        since: new Date(since).toISOString(),
        uid: 1000 + pid,
        ppid: 100,
        comm: "sshd",
        title: `sshd: ${user}@notty`,
    };
}

function tracker(opts: Partial<ClientTrafficOptions> = {}): ClientTraffic {
    const procRoot = tempDir();
    const devRoot = tempDir();
    mkdirSync(join(devRoot, "pts"));
    const c = parseConfig({ procRoot, devRoot, sessionIdleSeconds: 600, sampleSeconds: 1, publishSeconds: 1, loginGraceSeconds: 120 }, "test");
    return new ClientTraffic(activitySettings(c), {
        measureTraffic: true,
        startedAt: NOW - 3600_000,
        snapshot: () => new Promise(() => undefined),
        ...opts,
    });
}

function sock(id: string, bytesReceived = 0): SocketCounters {
    return { id, bytesReceived, bytesAcked: 0 };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("traffic: connections that never log in, and failing safe", () => {
    it("a busy socket that appeared after the sessions logged in (a scanner) credits none of them", () => {
        const t = tracker();
        // both logged in longer ago than sessionIdleSeconds (600 s): only traffic would make them in use
        const sessions = [notty(201, "a", NOW - 7200_000), notty(202, "b", NOW - 1_000_000)];
        t.sample({ now: NOW - 120_000, sessions });
        t.credit({ at: NOW - 120_000, sockets: [sock("a"), sock("b")] });
        t.credit({ at: NOW - 60_000, sockets: [sock("a"), sock("b"), sock("scan")] });
        t.credit({ at: NOW, sockets: [sock("a", 600), sock("b", 600), sock("scan", 12_000)] });
        const u = t.sample({ now: NOW + 1000, sessions }).detail;
        assert.deepEqual(
            u.map((x) => [x.user, x.inUse, x.by]),
            [
                ["a", false, "traffic"],
                ["b", false, "traffic"],
            ],
        );
    });

    it("a new session's own young socket credits it from its first minute; once older than loginGraceSeconds any socket credits", () => {
        const t = tracker();
        // no sshd CPU figures here: ties go to the higher pid, so the old session ranks first
        const old = notty(301, "a", NOW - 7200_000);
        t.sample({ now: NOW - 60_000, sessions: [old] });
        t.credit({ at: NOW - 60_000, sockets: [sock("a")] });
        t.credit({ at: NOW, sockets: [sock("a")] });
        const fresh = notty(203, "c", NOW + 10_000);
        t.sample({ now: NOW + 30_000, sessions: [old, fresh] });
        t.credit({ at: NOW + 60_000, sockets: [sock("a"), sock("c")] });
        t.credit({ at: NOW + 120_000, sockets: [sock("a"), sock("c", 6000)] });
        const u = t.sample({ now: NOW + 121_000, sessions: [old, fresh] }).detail;
        assert.deepEqual(
            u.map((x) => [x.user, x.inUse]),
            [
                ["a", false],
                ["c", true],
            ],
            "the young socket went to the session that logged in after it appeared, not to the first-ranked",
        );
        // later the socket is older than loginGraceSeconds: it credits like any other, the first-ranked session too
        t.credit({ at: NOW + 600_000, sockets: [sock("a"), sock("c", 6000)] });
        t.credit({ at: NOW + 660_000, sockets: [sock("a"), sock("c", 60_000)] });
        assert.equal(t.credits().get(`${old.pid}@${old.since}`), NOW + 660_000);
    });

    it("ss failing: sessions without a terminal count while connected, with the reason; the daemon is told once", async () => {
        const errors: string[] = [];
        const t = tracker({ snapshot: () => Promise.reject(new Error("spawn ss ENOENT")), onTrafficError: (e) => errors.push(e) });
        const sessions = [notty(201, "a", NOW - 7200_000)];
        t.sample({ now: NOW, sessions });
        await settle();
        t.sample({ now: NOW + 1000, sessions });
        await settle();
        const u = t.sample({ now: NOW + 2000, sessions }).detail;
        assert.deepEqual(
            u.map((x) => [x.inUse, x.by, x.reason]),
            [[true, "connected", "`ss` failed: traffic cannot be measured"]],
        );
        assert.deepEqual(errors, ["spawn ss ENOENT"]);
        assert.deepEqual(sessionShares(u), [
            { signal: "connected", adds: 1, details: ["a no terminal (pid 201): connected (`ss` failed: traffic cannot be measured)"] },
        ]);
    });

    it("ss working but seeing fewer sockets than sessions: they count while connected, say why, and the fix is logged once", async () => {
        const told: string[] = [];
        const snaps: TrafficSnapshot[] = [];
        const t = tracker({
            snapshot: () => {
                // b's socket first seen in the third run, older than loginGraceSeconds (120 s) by the fourth
                const s = {
                    at: NOW + snaps.length * 1000 + (snaps.length >= 3 ? 130_000 : 0),
                    sockets: snaps.length >= 2 ? [sock("a"), sock("b")] : [sock("a")],
                };
                snaps.push(s);
                return Promise.resolve(s);
            },
            onSocketsUnseen: (m) => told.push(m),
        });
        const sessions = [notty(201, "a", NOW - 7200_000), notty(202, "b", NOW - 300_000)];
        t.sample({ now: NOW, sessions });
        await settle();
        t.sample({ now: NOW + 1000, sessions });
        await settle();
        const u = t.sample({ now: NOW + 1500, sessions }).detail;
        assert.deepEqual(
            u.map((x) => [x.inUse, x.by]),
            [
                [true, "connected"],
                [true, "connected"],
            ],
        );
        assert.match(u[0].reason ?? "", /^ss sees 1 SSH connection\(s\) on sshPorts 22 for 2 session\(s\): sshd listens on a port not in sshPorts$/);
        assert.equal(told.length, 1, "logged once, not per snapshot");
        assert.match(told[0], /Fix: add sshd's ports .* to sshPorts in agent\.json/);
        // both seen again, b's socket once older than loginGraceSeconds: judged by traffic
        t.sample({ now: NOW + 2000, sessions });
        await settle();
        t.sample({ now: NOW + 3000, sessions });
        await settle();
        const v = t.sample({ now: NOW + 3500, sessions }).detail;
        assert.deepEqual(
            v.map((x) => [x.by, x.reason]),
            [
                ["traffic", undefined],
                ["traffic", undefined],
            ],
        );
    });

    it("a scanner's young sockets do not make up for a session's socket on a port not in sshPorts", async () => {
        const told: string[] = [];
        let n = 0;
        const t = tracker({
            // b's connection is on a port not in sshPorts: never seen; scanners come and go on port 22
            snapshot: () => Promise.resolve({ at: NOW + 1000 * n, sockets: n++ === 0 ? [sock("a")] : [sock("a"), sock(`scan${n}`)] }),
            onSocketsUnseen: (m) => told.push(m),
        });
        const sessions = [notty(201, "a", NOW - 7200_000), notty(202, "b", NOW - 300_000)];
        for (let i = 0; i < 3; i++) {
            t.sample({ now: NOW + 1000 * i, sessions });
            await settle();
        }
        const u = t.sample({ now: NOW + 3500, sessions }).detail;
        assert.deepEqual(
            u.map((x) => [x.inUse, x.by]),
            [
                [true, "connected"],
                [true, "connected"],
            ],
        );
        assert.match(u[0].reason ?? "", /^ss sees 1 SSH connection\(s\) on sshPorts 22 for 2 session\(s\)/);
        assert.equal(told.length, 1);
    });

    it("transfers without /proc/net/dev: no figure and the reason, never an error", () => {
        const procRoot = tempDir();
        const s = new NetTransfer(
            { procRoot, transferBytesPerMinute: 1048576, sessionIdleSeconds: 600, publishSeconds: 1, sshPorts: [22] },
            { measure: true },
        );
        const r = s.sample({ now: NOW, sessions: [] });
        assert.equal(r.active, 0);
        assert.equal(r.detail.bytesPerMinute, null);
        assert.equal(r.detail.reason, `cannot read ${join(procRoot, "net", "dev")}`);
    });
});
