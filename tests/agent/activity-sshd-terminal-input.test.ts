// In use, not just connected (docs/reference/metric.md), against the real loopback sshd: SSH
// sessions with a terminal, judged by their terminal's input. Terminal access times move in ~8 s
// steps, so these tests use sessionIdleSeconds 15. Harness: tests/support/activity-harness.ts.
import * as assert from "node:assert/strict";
import { useActivityHarness } from "../support/activity-harness";

const S = 15;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const { sshd, cleanup, startAgent, statusCli, useOf, waitStatus, holdsFor } = useActivityHarness(S);

    it("a silent terminal session stops counting after sessionIdleSeconds; typing keeps one in use", async () => {
        const { stateDir } = startAgent();
        const silentUser = sshd().addUser();
        const typingUser = sshd().addUser();
        const silent = await sshd().openSession(silentUser, { pty: true });
        const typing = await sshd().openSession(typingUser, { pty: true });
        const typer = setInterval(() => typing.write("true\n"), 2000);
        cleanup(async () => {
            clearInterval(typer);
            await silent.close();
            await typing.close();
        });
        // logging in is use: both count at first
        await waitStatus(
            stateDir,
            (st) => useOf(st, silentUser)?.inUse === true && useOf(st, typingUser)?.inUse === true,
            "both sessions in use after login",
            15000,
        );
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
        await holdsFor(
            stateDir,
            12000,
            (x) => useOf(x, typingUser)?.inUse === true && useOf(x, silentUser)?.inUse === false && x.active === 1,
            "typing keeps its session in use, the silent one stays idle",
        );
    });
});
