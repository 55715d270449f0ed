// Counting against a real OpenSSH sshd on 127.0.0.1 (tests/support/sshd.ts). Only sessions of
// THIS sshd are considered (descendants of its listener), so sessions of anything else running
// on the machine cannot disturb the counts.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { listSessions, Session } from "../../agent/src/signals/sessions";
import { runAgent } from "../support/agent";
import { descendantsOf, freePort, PASSWORD_PROBE_PREFIX, sleep, useSshd, waitUntil } from "../support/sshd";

describe("session counting against a real sshd", function () {
    this.timeout(90000);
    const sshd = useSshd();

    function ours(): Session[] {
        const mine = new Set(descendantsOf(sshd().pid as number));
        return listSessions("/proc").filter((s) => mine.has(s.pid));
    }
    function titles(): string[] {
        return descendantsOf(sshd().pid as number).map((pid) => {
            try {
                return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
            } catch {
                return "";
            }
        });
    }
    async function expectCount(n: number, what: string): Promise<Session[]> {
        return waitUntil(
            () => {
                const s = ours();
                return s.length === n ? s : false;
            },
            15000,
            `${n} session(s) ${what}; have ${JSON.stringify(ours())}`,
        );
    }

    it("counts a non-root pty session with user, tty, pid and start time, and drops it on close", async () => {
        const user = sshd().addUser();
        const before = Date.now();
        const s = await sshd().openSession(user, { pty: true });
        try {
            const [x] = await expectCount(1, "for a pty login");
            assert.equal(x.user, user);
            assert.match(x.tty ?? "", /^pts\/\d+$/);
            assert.ok(Math.abs(Date.parse(x.since) - before) < 10000, `since ${x.since}`);
            assert.notEqual(x.uid, 0);
            // the [priv] monitor of this connection exists and is not counted
            assert.ok(titles().includes(`sshd: ${user} [priv]`), titles().join("|"));
        } finally {
            await s.close();
        }
        await expectCount(0, "after logout");
    });

    it("counts root (pty and notty) although root has no [priv] process", async () => {
        const a = await sshd().openSession("root", { pty: true });
        const b = await sshd().openSession("root", { pty: false });
        try {
            const s = await expectCount(2, "for two root logins");
            assert.deepEqual(
                s.map((x) => x.user),
                ["root", "root"],
            );
            assert.deepEqual(s.map((x) => (x.tty === null ? "notty" : "pts")).sort(), ["notty", "pts"]);
            assert.ok(!titles().some((t) => t.startsWith("sshd: root [priv]")));
        } finally {
            await a.close();
            await b.close();
        }
        await expectCount(0, "after root logouts");
    });

    it("counts a notty session (ssh host command) of a sudo user", async () => {
        const user = sshd().addUser({ sudo: true });
        const s = await sshd().openSession(user, { pty: false, command: "sudo -n true && exec sleep 600" });
        try {
            const [x] = await expectCount(1, "for a notty login");
            assert.equal(x.user, user);
            assert.equal(x.tty, null);
        } finally {
            await s.close();
        }
        await expectCount(0, "after close");
    });

    it("counts an `ssh -N -L` tunnel (authenticated, no session channel) as a session without a terminal", async () => {
        const user = sshd().addUser();
        const port = await freePort();
        const tunnel = spawn("ssh", [...sshd().clientOptions(), "-N", "-L", `127.0.0.1:${port}:127.0.0.1:9`, `${user}@${sshd().host}`], {
            stdio: "ignore",
        });
        try {
            const [x] = await expectCount(1, "for a tunnel");
            assert.equal(x.user, user);
            assert.equal(x.tty, null);
            assert.equal(x.title, `sshd: ${user}`);
        } finally {
            tunnel.kill("SIGTERM");
        }
        await expectCount(0, "after the tunnel closes");
    });

    it("counts one ControlMaster connection with several channels once", async () => {
        const user = sshd().addUser();
        const mux = await sshd().openMultiplexed(user);
        try {
            await mux.channel({ pty: false });
            await mux.channel({ pty: false });
            await mux.channel({ pty: true });
            await mux.channel({ pty: true });
            await sleep(500);
            const s = await expectCount(1, "for one multiplexed connection");
            assert.equal(s[0].user, user);
            // sshd titles a connection with two terminals `user@pts/A,pts/B`; both are listed.
            assert.equal(s[0].ttys.length, 2, JSON.stringify(s[0]));
            // still one after a moment (no late second process)
            await sleep(1000);
            assert.equal(ours().length, 1);
        } finally {
            await mux.close();
        }
        await expectCount(0, "after the master exits");
    });

    it("never counts a TCP connection that does not authenticate, or failed logins", async () => {
        const user = sshd().addUser();
        const raw1 = await sshd().rawConnection();
        const raw2 = await sshd().rawConnection({ sendBanner: true });
        const probe = sshd().failedLogin(`${PASSWORD_PROBE_PREFIX}-nobody`, { holdMs: 4000 });
        try {
            // wait until the pre-auth processes are really there, so the check below means something
            await waitUntil(() => titles().some((t) => t === "sshd: [accepted]" || t.endsWith("[net]")), 10000, "pre-auth sshd processes");
            await waitUntil(() => titles().some((t) => t.endsWith("[priv]")), 10000, "a pre-auth [priv] process (password probe)");
            const wrongKey = await sshd().failedLogin(user);
            assert.equal(wrongKey.code, 255);
            assert.match(wrongKey.stderr, /Permission denied/);
            for (let i = 0; i < 10; i++) {
                assert.deepEqual(ours(), [], `pre-auth processes counted: ${titles().join(" | ")}`);
                await sleep(200);
            }
            const r = await probe;
            assert.equal(r.code, 255);
            assert.match(r.stderr, /Permission denied/);
        } finally {
            raw1.destroy();
            raw2.destroy();
        }
        assert.deepEqual(ours(), []);
    });

    it("counts sessions as they come and go", async () => {
        const u1 = sshd().addUser();
        const u2 = sshd().addUser();
        const a = await sshd().openSession(u1, { pty: true });
        const b = await sshd().openSession(u2, { pty: false });
        const c = await sshd().openSession("root", { pty: false });
        try {
            await expectCount(3, "three logins");
            await b.close();
            const s = await expectCount(2, "after one logout");
            assert.deepEqual(s.map((x) => x.user).sort(), [u1, "root"].sort());
            await a.close();
            await expectCount(1, "after two logouts");
        } finally {
            await a.close();
            await b.close();
            await c.close();
        }
        await expectCount(0, "after all logouts");
    });

    it("does not count a user's look-alike processes (exec -a, a binary copied to ~/sshd)", async () => {
        const user = sshd().addUser();
        const real = await sshd().openSession(user, {
            pty: false,
            // cat without arguments keeps the title exactly as given (no trailing args)
            command: `cp /bin/cat ~/sshd && (sleep 600 | exec -a "sshd: ${"$"}(id -un)@pts/9" cat &) && (sleep 600 | exec -a "sshd: ${"$"}(id -un)@notty" ~/sshd &) && exec sleep 600`,
        });
        try {
            // the impostors are detached (reparented away from sshd): look at every process
            const everywhere = (): string[] =>
                readdirSync("/proc")
                    .filter((d) => /^\d+$/.test(d))
                    .map((d) => {
                        try {
                            return `${readFileSync(`/proc/${d}/comm`, "utf8").trim()}|${readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ")}`;
                        } catch {
                            return "";
                        }
                    });
            await waitUntil(
                () => {
                    const all = everywhere();
                    return all.includes(`cat|sshd: ${user}@pts/9`) && all.includes(`sshd|sshd: ${user}@notty`);
                },
                10000,
                "impostor processes",
            );
            await sleep(300);
            const s = ours();
            assert.equal(s.length, 1, JSON.stringify(s));
            assert.equal(s[0].tty, null);
        } finally {
            await real.close();
            sshd().removeUser(user); // kills the detached impostors too
        }
    });

    it("the agent CLI (sessions --json) reports a live session of this sshd", async () => {
        const user = sshd().addUser();
        const s = await sshd().openSession(user, { pty: true });
        try {
            const [x] = await expectCount(1, "before the CLI runs");
            const r = await runAgent(["sessions", "--json", "--config", "/nonexistent/agent.json"]);
            assert.equal(r.code, 2, "an explicit missing config is bad usage");
            const ok = await runAgent(["sessions", "--json"], { env: { ...process.env } });
            // the default config may or may not exist on this machine; both are fine for sessions
            assert.equal(ok.code, 0, ok.stderr);
            const j = JSON.parse(ok.stdout) as { count: number; sessions: Array<{ pid: number; user: string; tty: string | null; since: string }> };
            assert.equal(j.count, j.sessions.length);
            const mine = j.sessions.find((y) => y.pid === x.pid);
            assert.ok(mine, `pid ${x.pid} missing from ${ok.stdout}`);
            assert.equal(mine.user, user);
            assert.equal(mine.tty, x.tty);
            assert.equal(typeof mine.since, "string");
        } finally {
            await s.close();
        }
    });
});
