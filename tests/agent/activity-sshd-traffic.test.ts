// In use, not just connected (docs/reference/metric.md), against the real loopback sshd: SSH
// sessions without a terminal, judged by their client's traffic through a real `ssh -L` forward.
// No terminal access times are involved (their ~8 s steps are why the terminal tests use 15 s), so
// sessionIdleSeconds is 10: still over three publish periods, the interval of traffic credits.
// Harness: tests/support/activity-harness.ts.
import * as assert from "node:assert/strict";
import { snapshotTraffic } from "../../agent/src/signals/tcp-traffic";
import { useActivityHarness } from "../support/activity-harness";
import { freePort, sleep, waitUntil } from "../support/sshd";
import { forwardedTraffic } from "../support/traffic";

const S = 10;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const { sshd, cw, cleanup, startAgent, statusCli, useOf, waitStatus, holdsFor, maxima, status } = useActivityHarness(S);

    it("a no-terminal session carrying only VS Code-like keep-alives is not in use; ConnectedSessions still shows it", async () => {
        const { stateDir } = startAgent();
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 13, everyMs: 5000 });
        cleanup(() => t.close());
        const st = await waitStatus(stateDir, (x) => useOf(x, user)?.inUse === false, "the keep-alive session not in use");
        assert.equal(useOf(st, user)?.by, "traffic");
        assert.equal(st.traffic, "ok");
        assert.equal(st.connected, 1);
        assert.equal(st.active, 0);
        const cli = statusCli(stateDir);
        assert.deepEqual(
            cli.json.sessions.map((x) => [x.user, x.tty, x.inUse]),
            [[user, null, false]],
        );
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
        const both = cw()
            .accepted("PutMetricData")
            .some((r) => {
                const names = ((r.params.MetricData ?? []) as Array<{ MetricName: string }>).map((d) => d.MetricName);
                return names.includes("ActiveSessions") && names.includes("ConnectedSessions");
            });
        assert.ok(both, "ActiveSessions and ConnectedSessions travel in one PutMetricData request");
    });

    it("a no-terminal session carrying real traffic through a forward is in use, and the metric says so", async () => {
        const { stateDir } = startAgent();
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 200, everyMs: 2000 });
        cleanup(() => t.close());
        const loginAt = Date.now();
        await sleep((S + 5) * 1000); // past the login's own credit
        const st = await waitStatus(stateDir, (x) => useOf(x, user) !== undefined, "the session");
        const u = useOf(st, user);
        assert.equal(u?.inUse, true, JSON.stringify(u));
        assert.equal(u?.by, "traffic");
        // the login came before loginAt: a credit this late is the traffic's
        assert.ok(u?.lastActivityAt && Date.parse(u.lastActivityAt) > loginAt + S * 1000 - 6000, `credited recently: ${JSON.stringify(u)}`);
        assert.equal(st.active, 1);
        const late = (): Array<[number, number]> => [...maxima("ActiveSessions").entries()].filter(([p]) => p >= loginAt + S * 1000);
        await waitUntil(() => late().length >= 1, 30000, "a datapoint for a period after the login's own credit");
        assert.ok(
            late().every(([, v]) => v === 1),
            JSON.stringify(late()),
        );
    });

    it("fails safe: with sshd on a port not in sshPorts, a no-terminal session moving data counts as connected, says why, and the journal names sshPorts once", async () => {
        // the measured case: sshd on 2299, the agent's default ports, `active 0`
        const elsewhere = await freePort();
        // loginGraceSeconds below the sleep: the check compares sessions and sockets older than it
        const { daemon, stateDir } = startAgent({ sshPorts: [elsewhere], loginGraceSeconds: 5 });
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 200, everyMs: 2000 });
        cleanup(() => t.close());
        await sleep((S + 5) * 1000); // past the login's own credit
        const st = await waitStatus(stateDir, (x) => useOf(x, user)?.by === "connected", "the session counted as connected");
        const u = useOf(st, user);
        assert.equal(u?.inUse, true, JSON.stringify(u));
        assert.match(u?.reason ?? "", new RegExp(`sshPorts ${elsewhere}.*not in sshPorts`));
        assert.equal(st.traffic, "ok", "ss itself works");
        assert.equal(st.active, 1);
        await holdsFor(stateDir, 2 * 3000 + 1000, (x) => useOf(x, user)?.inUse === true && x.active === 1, "still counted while connected");
        const lines = daemon.events("ssh_sockets_unseen");
        assert.equal(lines.length, 1, daemon.stderr);
        assert.match(lines[0], /fix=sshPorts/);
        assert.match(lines[0], /add sshd's ports .* to sshPorts in agent\.json/);
    });

    it("a connection that never authenticates (a scanner sending bytes) does not credit an idle no-terminal session", async () => {
        // the fixture's sshd has LoginGraceTime 60 (tests/support/sshd.ts)
        const { stateDir } = startAgent({ loginGraceSeconds: 60 });
        const user = sshd().addUser();
        const t = await forwardedTraffic(sshd(), user, { serverAliveSeconds: 5, bytes: 13, everyMs: 5000 });
        cleanup(() => t.close());
        await waitStatus(stateDir, (x) => useOf(x, user)?.inUse === false && x.active === 0, "the keep-alive session idle");
        // banner, then a 32764-byte packet that never completes, 100 bytes every 0.5 s (12 KB/min)
        const scanner = await sshd().rawConnection({ sendBanner: true });
        scanner.write(Buffer.from([0, 0, 0x7f, 0xfc]));
        const timer = setInterval(() => scanner.write(Buffer.alloc(100, 0x41)), 500);
        cleanup(() => {
            clearInterval(timer);
            scanner.destroy();
        });
        const before = await scannerBytes(scanner.localPort);
        const from = Date.now();
        await holdsFor(stateDir, 20000, (x) => useOf(x, user)?.inUse === false && x.active === 0, "the scanner's bytes credit nobody");
        const after = await scannerBytes(scanner.localPort);
        assert.ok(!scanner.destroyed, "sshd still holds the unauthenticated connection");
        const perMinute = ((after - before) * 60000) / (Date.now() - from);
        assert.ok(perMinute >= 3000, `the scanner's socket was busy by the traffic rule: ${perMinute} B/min`);
        assert.equal(status(stateDir)?.connected, 1, "the scanner is no session");
    });

    /** Bytes sshd received on the scanner's connection (its socket on the server side, peer = the scanner's port). */
    async function scannerBytes(localPort: number | undefined): Promise<number> {
        const snap = await snapshotTraffic([sshd().port]);
        const sock = snap.sockets.find((x) => x.id.endsWith(`:${localPort}`));
        assert.ok(sock !== undefined, `the scanner's socket in ${JSON.stringify(snap.sockets)}`);
        return sock.bytesReceived;
    }
});
