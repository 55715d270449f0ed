// Dead-but-open connections: a client that vanished (laptop lid closed, network gone) leaves its
// TCP connection open, and its session would keep the box awake for hours. The installer's sshd
// drop-in (ClientAliveInterval/ClientAliveCountMax) makes sshd probe the client and close the
// connection; this shows, against a real sshd, that the session then stops being counted, and
// that without the setting it is not. A SIGSTOPped ssh client is a dead peer whose kernel still
// acknowledges TCP: exactly the case the setting exists for.
import * as assert from "node:assert/strict";
import { listSessions, Session } from "../../agent/src/signals/sessions";
import { descendantsOf, sleep, SshdFixture, useSshd, waitUntil } from "../support/sshd";

function sessionsOf(fixture: SshdFixture): Session[] {
    const mine = new Set(descendantsOf(fixture.pid as number));
    return listSessions("/proc").filter((s) => mine.has(s.pid));
}

async function openFrozenSession(fixture: SshdFixture): Promise<{ thaw: () => Promise<void> }> {
    const user = fixture.addUser();
    const session = await fixture.openSession(user, { pty: false });
    await waitUntil(() => sessionsOf(fixture).length === 1, 15000, "the session is counted");
    const pid = session.child.pid as number;
    process.kill(pid, "SIGSTOP");
    return {
        thaw: async () => {
            try {
                process.kill(pid, "SIGCONT");
            } catch {
                // already gone
            }
            await session.close();
        },
    };
}

describe("dead-but-open connections", function () {
    this.timeout(60000);

    describe("with the client-alive drop-in (interval 1 s, count 2)", () => {
        const sshd = useSshd({ extraConfig: ["ClientAliveInterval 1", "ClientAliveCountMax 2"] });

        it("sshd closes the dead connection within seconds and the count drops to 0", async () => {
            const frozen = await openFrozenSession(sshd());
            try {
                const started = Date.now();
                await waitUntil(() => sessionsOf(sshd()).length === 0, 20000, "the dead session to be closed");
                const seconds = (Date.now() - started) / 1000;
                assert.ok(seconds < 15, `closed after ${seconds} s`);
                // sshd's log reaches the test through a pipe, a moment after the connection closed.
                await waitUntil(() => sshd().log().includes("Timeout, client not responding"), 10000, "sshd to log the client-alive timeout");
            } finally {
                await frozen.thaw();
            }
        });
    });

    describe("without it (sshd defaults)", () => {
        const sshd = useSshd();

        it("the dead connection stays open and keeps counting", async () => {
            const frozen = await openFrozenSession(sshd());
            try {
                for (let i = 0; i < 8; i++) {
                    await sleep(1000);
                    assert.equal(sessionsOf(sshd()).length, 1, `still counted after ${i + 1} s`);
                }
            } finally {
                await frozen.thaw();
            }
        });
    });
});
