// In use, not just connected (docs/reference/metric.md), against the real loopback sshd: with
// sessionIdleSeconds 0 the original rule holds. The wait is the 15 s the terminal tests use as
// sessionIdleSeconds, plus a margin: past it, the sessions still count. Harness:
// tests/support/activity-harness.ts.
import * as assert from "node:assert/strict";
import { useActivityHarness } from "../support/activity-harness";
import { sleep } from "../support/sshd";

const S = 15;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const { sshd, cleanup, startAgent, waitStatus } = useActivityHarness(S);

    it("with sessionIdleSeconds 0 the original rule holds: every connected session counts", async () => {
        const { stateDir } = startAgent({ sessionIdleSeconds: 0 });
        const a = sshd().addUser();
        const b = sshd().addUser();
        const pty = await sshd().openSession(a, { pty: true });
        const notty = await sshd().openSession(b, { pty: false });
        cleanup(async () => {
            await pty.close();
            await notty.close();
        });
        await waitStatus(stateDir, (x) => x.connected === 2, "two sessions", 15000);
        await sleep((S + 10) * 1000);
        const st = await waitStatus(stateDir, () => true, "status");
        assert.equal(st.active, 2);
        assert.deepEqual(
            st.sessionUse?.map((r) => [r.inUse, r.by]),
            [
                [true, "connected"],
                [true, "connected"],
            ],
        );
    });
});
