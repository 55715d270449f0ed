// What makes a daemon sample cheap, without changing what it sees: processes known not to be sshd
// are skipped (a reused pid is noticed), /proc files are read whole, and the status file is only
// rewritten when it changes or its heartbeat is due (and `status` judges staleness by that heartbeat).
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildStatus } from "../../agent/src/cli/status-report";
import { loadConfig } from "../../agent/src/config";
import { forkCount, KnownPids, lastPid } from "../../agent/src/system/known-pids";
import { readProcFile } from "../../agent/src/system/proc-read";
import { listSessions } from "../../agent/src/signals/sessions";
import { StatusFile, statusPath } from "../../agent/src/daemon/status-file";
import { heartbeatSeconds, StatusWriter } from "../../agent/src/daemon/status-writer";
import { Daemon, tempDir, writeConfig } from "../support/agent";
import { clientEnv, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { descendantsOf, sleep, useSshd, waitUntil } from "../support/sshd";

describe("cheap sampling, same result", function () {
    this.timeout(60000);

    it("counts the processes the kernel has created, as a cheap sign that no pid was reused", () => {
        const a = forkCount("/proc");
        assert.ok(a !== null && a > 1);
        const cursor = lastPid("/proc");
        execFileSync("true");
        const b = forkCount("/proc");
        assert.ok(b !== null && b > a, `${a} -> ${b} after a fork`);
        // ... and where the kernel's pid cursor stands, in this namespace only.
        const after = lastPid("/proc");
        assert.ok(cursor !== null && after !== null && after !== cursor, `cursor ${cursor} -> ${after} after a fork`);
        assert.equal(lastPid(new FakeProc().root), null, "not for a /proc of another namespace (no self link to us)");
    });

    it("skips processes known not to be sshd, and notices when their pid comes back as an SSH session", () => {
        const p = new FakeProc().withListener();
        p.add({ pid: 500, comm: "bash", title: "-bash", ppid: 1, uid: 1000 });
        p.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
        const known = new KnownPids();
        assert.deepEqual(
            listSessions(p.root, known).map((s) => s.pid),
            [201],
        );
        // The same process (same /proc/500 directory) is not read again: a title written into it
        // in place is not even looked at. (A real process cannot become a session this way.)
        writeFileSync(join(p.root, "500", "comm"), "sshd\n");
        assert.deepEqual(
            listSessions(p.root, known).map((s) => s.pid),
            [201],
        );
        // A new process behind pid 500 (a new /proc/500, as the kernel makes for a reused pid) is
        // read and counted at once: the bash exited and the pid went to an SSH session.
        p.remove(500);
        p.add({ pid: 500, comm: "sshd", title: "sshd: bob@pts/1", ppid: 499, uid: 1001 });
        p.add({ pid: 499, comm: "sshd", title: "sshd: bob [priv]", ppid: 100, uid: 0 });
        assert.deepEqual(
            listSessions(p.root, known).map((s) => s.pid),
            [201, 500],
        );
        // Without the memory, every scan reads everything: the same answers.
        assert.deepEqual(
            listSessions(p.root).map((s) => s.pid),
            [201, 500],
        );
        // sshd processes are never remembered: a pre-auth process that authenticates keeps its pid.
        p.add({ pid: 601, comm: "sshd", title: "sshd: carol [priv]", ppid: 100, uid: 0 });
        p.add({ pid: 602, comm: "sshd", title: "sshd: [accepted]", ppid: 601, uid: 0 });
        assert.deepEqual(
            listSessions(p.root, known).map((s) => s.pid),
            [201, 500],
        );
        writeFileSync(join(p.root, "602", "cmdline"), "sshd: carol@pts/2\0");
        assert.deepEqual(
            listSessions(p.root, known).map((s) => s.pid),
            [201, 500, 602],
        );
    });

    it("on the real /proc: a remembered pid costs a stat, and an exited process is forgotten", async () => {
        const known = new KnownPids();
        const child = spawn("sleep", ["30"], { stdio: "ignore" });
        try {
            await waitUntil(() => readProcFile(`/proc/${child.pid}/comm`) === "sleep\n", 5000, "sleep running");
            listSessions("/proc", known);
            const id = known.identity("/proc", child.pid as number);
            known.startScan("/proc");
            assert.equal(known.skip("/proc", child.pid as number), true, "sleep is remembered as not sshd");
            assert.deepEqual(known.identity("/proc", child.pid as number), id, "and /proc/PID keeps its identity while it lives");
        } finally {
            child.kill("SIGKILL");
        }
        await waitUntil(() => known.identity("/proc", child.pid as number) === null, 5000, "sleep gone");
        listSessions("/proc", known);
        known.startScan("/proc");
        assert.equal(known.skip("/proc", child.pid as number), false, "forgotten once gone");
    });

    it("reads /proc files whole, also ones longer than its buffer", () => {
        assert.equal(readProcFile("/proc/self/comm"), readFileSync("/proc/self/comm", "utf8"));
        const big = join(tempDir(), "big");
        const text = "x".repeat(10000) + "\n";
        writeFileSync(big, text);
        assert.equal(readProcFile(big), text);
        assert.equal(readProcFile("/proc/0/comm"), null);
    });

    it("writes the status file when it changes and at the heartbeat, not after every sample", () => {
        const dir = tempDir();
        const w = new StatusWriter(dir, 60000);
        const st = { version: 1, pid: 1, mode: "run", sessions: 0, active: 0, updatedAt: "a", lastActiveAt: null } as unknown as StatusFile;
        assert.equal(w.write(st, 0), true);
        assert.equal(w.write({ ...st, updatedAt: "b" }, 10000), false, "only updatedAt moved");
        assert.equal(w.write({ ...st, updatedAt: "c", lastActiveAt: "c" }, 20000), false, "lastActiveAt alone is no news");
        assert.equal(w.write({ ...st, updatedAt: "d", sessions: 1, active: 1 }, 30000), true, "counts changed");
        assert.equal(w.write({ ...st, updatedAt: "e", sessions: 1, active: 1 }, 40000), false);
        assert.equal(w.write({ ...st, updatedAt: "f", sessions: 1, active: 1 }, 90000), true, "heartbeat due");
        assert.equal(w.write({ ...st, updatedAt: "g", sessions: 1, active: 1 }, 91000, true), true, "forced");
        assert.equal((JSON.parse(readFileSync(statusPath(dir), "utf8")) as StatusFile).updatedAt, "g");
        assert.equal(heartbeatSeconds(10, 60), 60);
        assert.equal(heartbeatSeconds(10, 5), 10);
    });

    it("a running daemon rewrites status.json only on change; status stays 'running' between heartbeats and sees the activity", async () => {
        const cw = await startCloudWatchEndpoint();
        const fake = new FakeProc().withListener();
        const cfg = writeConfig({
            instanceId: "i-0123456789abcdef0",
            region: "eu-west-1",
            sampleSeconds: 1,
            publishSeconds: 8,
            idleMinutes: 15,
            procRoot: fake.root,
            sessionIdleSeconds: 0,
        });
        const d = new Daemon(cfg.path, clientEnv(cw.url));
        try {
            const file = statusPath(cfg.stateDir);
            const read = (): StatusFile | null => {
                try {
                    return JSON.parse(readFileSync(file, "utf8")) as StatusFile;
                } catch {
                    return null; // not written yet
                }
            };
            await waitUntil(() => read()?.heartbeatSeconds === 8, 10000, "the first status");
            fake.addSession({ pid: 201, user: "alice", uid: 1000, tty: "pts/0" });
            await waitUntil(() => read()?.sessions === 1, 5000, "the session in status.json");
            // Watch from just after a publish, so no period (8 s) ends in the 4 s watched: a publish
            // writes twice (backlog, then delivery), and a loaded machine may show both.
            const seenAt = Date.now();
            await waitUntil(() => Date.parse(read()?.lastPublishAt ?? "") >= seenAt, 12000, "a publish after the session appeared");
            // Several samples with nothing new: no rewrite (a publish at the period's end may add one).
            const writes = new Set<number>();
            for (let i = 0; i < 8; i++) {
                writes.add(statSync(file).mtimeMs);
                await sleep(500);
            }
            assert.ok(writes.size <= 2, `${writes.size} rewrites in 4 s of 1-s samples`);
            const c = loadConfig(cfg.path, true);
            const r = buildStatus(c);
            assert.equal(r.daemon?.running, true, "fresh within 3 heartbeats");
            assert.equal(r.active, 1);
            fake.remove(201);
            fake.remove(200);
            const idle = buildStatus(c);
            assert.equal(idle.active, 0);
            assert.ok(
                idle.idleSince !== null && Date.now() - Date.parse(idle.idleSince) <= 1500,
                `idle since the daemon's last active sample: ${idle.idleSince}`,
            );
        } finally {
            await d.stop();
            await cw.close();
        }
    });

    describe("against a real sshd", () => {
        const sshd = useSshd();

        it("a scanner that remembers pids sees every login and logout of a real sshd, as a full scan does", async () => {
            const known = new KnownPids();
            const mine = (): Set<number> => new Set(descendantsOf(sshd().pid as number));
            const count = (k?: KnownPids): number => {
                const m = mine();
                return listSessions("/proc", k).filter((x) => m.has(x.pid)).length;
            };
            // Scan all the time, as a daemon with a tiny sampleSeconds would, so the memory is warm.
            const scanner = setInterval(() => listSessions("/proc", known), 20);
            try {
                const users = [sshd().addUser(), sshd().addUser(), "root"];
                const open: Array<{ close(): Promise<unknown> }> = [];
                for (const [i, u] of users.entries()) {
                    open.push(await sshd().openSession(u, { pty: i % 2 === 0 }));
                    await waitUntil(() => count(known) === i + 1, 10000, `${i + 1} session(s) seen by the remembering scan`);
                    assert.equal(count(), i + 1, "the full scan agrees");
                }
                while (open.length > 0) {
                    await open.pop()?.close();
                    await waitUntil(() => count(known) === open.length, 10000, `${open.length} session(s) after a logout`);
                    assert.equal(count(), open.length);
                }
            } finally {
                clearInterval(scanner);
            }
        });
    });
});
