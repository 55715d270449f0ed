// Counting rules (docs/reference/metric.md) on synthetic /proc trees: titles this Debian's OpenSSH 9.2
// cannot produce (9.8+ sshd-session, 10.0 sshd-auth) and processes that only pretend to be sshd.
import * as assert from "node:assert/strict";
import { listSessions, parseSessionTitle } from "../../agent/src/signals/sessions";
import { parseStat } from "../../agent/src/system/proc";
import { FakeProc } from "../support/fakeproc";
import { runAgent, writeConfig } from "../support/agent";

describe("session counting on synthetic /proc trees", () => {
    it("parses session titles and rejects everything pre-auth", () => {
        assert.deepEqual(parseSessionTitle("sshd: alice@pts/3"), { user: "alice", tty: "pts/3", ttys: ["pts/3"] });
        assert.deepEqual(parseSessionTitle("sshd: root@notty"), { user: "root", tty: null, ttys: [] });
        assert.deepEqual(parseSessionTitle("sshd-session: bob.smith@pts/12"), { user: "bob.smith", tty: "pts/12", ttys: ["pts/12"] });
        // One multiplexed connection with several terminals (ControlMaster, VS Code Remote-SSH).
        assert.deepEqual(parseSessionTitle("sshd: carol@pts/1,pts/4"), { user: "carol", tty: "pts/1", ttys: ["pts/1", "pts/4"] });
        // An authenticated connection without a session channel (`ssh -N -L` tunnel): no terminal.
        assert.deepEqual(parseSessionTitle("sshd: dave"), { user: "dave", tty: null, ttys: [] });
        assert.deepEqual(parseSessionTitle("sshd-session: dave"), { user: "dave", tty: null, ttys: [] });
        for (const t of [
            "sshd: [accepted]",
            "sshd: unknown [priv]",
            "sshd: unknown [net]",
            "sshd: alice [priv]",
            "sshd: alice [net]",
            "sshd-session: alice [priv]",
            "sshd-auth: alice [net]",
            "sshd-auth: [accepted]",
            "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
            "sshd: alice@pts/0 extra",
            "sshd: alice@pts/x",
            "sshd: alice@pts/0,",
            "sshd: alice@pts/0,notty",
            "sshd:alice@pts/0",
            "sshd: @pts/0",
            "sshd: [accepted]x",
            "sshd: alice extra",
            "sshd: /usr/sbin/sshd",
            "bash",
            "",
        ]) {
            assert.equal(parseSessionTitle(t), null, t);
        }
    });

    it("parses /proc/PID/stat with spaces and parentheses in comm", () => {
        const st = parseStat("4242 (my (odd) proc) S 77 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 98765 1000 300 0 0 0\n");
        assert.ok(st);
        assert.equal(st.comm, "my (odd) proc");
        assert.equal(st.ppid, 77);
        assert.equal(st.starttime, 98765);
        assert.equal(st.cpuTicks, 8);
    });

    it("counts OpenSSH <= 9.7 sessions (non-root pts and notty, root) with user, tty, pid, start time", () => {
        const p = new FakeProc(1_700_000_000).withListener();
        p.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0", starttime: 50_000 });
        p.addSession({ pid: 211, user: "alice", uid: 1000, tty: null });
        p.addSession({ pid: 220, user: "root", uid: 0, tty: "pts/1" });
        const s = listSessions(p.root);
        assert.deepEqual(
            s.map((x) => [x.pid, x.user, x.tty]),
            [
                [201, "alice", "pts/0"],
                [211, "alice", null],
                [220, "root", "pts/1"],
            ],
        );
        assert.equal(s[0].since, new Date((1_700_000_000 + 500) * 1000).toISOString());
        assert.equal(s[0].uid, 1000);
        assert.equal(s[2].ppid, 100);
    });

    it("counts OpenSSH 9.8+ sshd-session sessions and ignores their pre-auth processes", () => {
        const p = new FakeProc().withListener();
        p.addSession({ pid: 301, user: "carol", uid: 1001, tty: "pts/4", binary: "sshd-session" });
        p.addSession({ pid: 310, user: "root", uid: 0, tty: null, binary: "sshd-session" });
        // pre-auth connections of 9.8/9.9 and 10.0 (sshd-auth)
        p.add({ pid: 320, comm: "sshd-session", title: "sshd-session: [accepted]", ppid: 100, uid: 0 });
        p.add({ pid: 321, comm: "sshd-session", title: "sshd-session: unknown [priv]", ppid: 100, uid: 0 });
        p.add({ pid: 322, comm: "sshd-session", title: "sshd-session: unknown [net]", ppid: 321, uid: 101 });
        p.add({ pid: 330, comm: "sshd-session", title: "sshd-session: dave [priv]", ppid: 100, uid: 0 });
        p.add({ pid: 331, comm: "sshd-auth", title: "sshd-auth: dave [net]", ppid: 330, uid: 101 });
        p.add({ pid: 332, comm: "sshd-auth", title: "sshd-auth: dave@notty", ppid: 330, uid: 101 });
        const s = listSessions(p.root);
        assert.deepEqual(
            s.map((x) => [x.user, x.tty, x.comm]),
            [
                ["carol", "pts/4", "sshd-session"],
                ["root", null, "sshd-session"],
            ],
        );
    });

    it("rejects impostors: argv[0] look-alikes, user-owned fake sshd binaries, zombies", () => {
        const p = new FakeProc().withListener();
        p.addSession({ pid: 401, user: "erin", uid: 1002, tty: "pts/0" });
        p.add({ pid: 402, comm: "bash", title: "-bash", ppid: 401, uid: 1002 });
        // exec -a 'sshd: erin@pts/7' sleep 600  -> comm stays "sleep"
        p.add({ pid: 403, comm: "sleep", title: "sshd: erin@pts/7", ppid: 402, uid: 1002 });
        // a copy of some binary named sshd, run by the user: parent is the user's shell
        p.add({ pid: 404, comm: "sshd", title: "sshd: erin@notty", ppid: 402, uid: 1002 });
        // ... or its child: parent is named sshd but not owned by root
        p.add({ pid: 405, comm: "sshd", title: "sshd: erin@pts/8", ppid: 404, uid: 1002 });
        // a renamed script, comm sshd-session, parent the user's session process (uid 1002)
        p.add({ pid: 406, comm: "sshd-session", title: "sshd-session: erin@notty", ppid: 401, uid: 1002 });
        // root-owned parent that is not sshd (e.g. cron)
        p.add({ pid: 407, comm: "cron", title: "/usr/sbin/cron -f", ppid: 1, uid: 0 });
        p.add({ pid: 408, comm: "sshd", title: "sshd: mallory@pts/9", ppid: 407, uid: 1003 });
        // a zombie session (state Z) and an orphan whose parent is gone
        p.add({ pid: 409, comm: "sshd", title: "sshd: erin@pts/10", ppid: 100, uid: 0, state: "Z" });
        p.add({ pid: 410, comm: "sshd", title: "sshd: erin@pts/11", ppid: 99999, uid: 1002 });
        const s = listSessions(p.root);
        assert.deepEqual(
            s.map((x) => x.pid),
            [401],
        );
    });

    it("the CLI prints the documented sessions --json shape from a procRoot", async () => {
        const p = new FakeProc().withListener();
        p.addSession({ pid: 501, user: "frank", uid: 1004, tty: "pts/2" });
        p.addSession({ pid: 510, user: "root", uid: 0, tty: null, binary: "sshd-session" });
        const cfg = writeConfig({ procRoot: p.root });
        const r = await runAgent(["sessions", "--json", "--config", cfg.path]);
        assert.equal(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout) as { count: number; sessions: Array<{ pid: number; user: string; tty: string | null }> };
        assert.equal(j.count, 2);
        assert.deepEqual(
            j.sessions.map((x) => [x.pid, x.user, x.tty]),
            [
                [501, "frank", "pts/2"],
                [510, "root", null],
            ],
        );
    });
});
