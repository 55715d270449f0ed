// What the outside review found an unprivileged user (or a closed pipe, or nohup) could do to the
// agent's commands: hold files that never end or speak for someone else, escape sequences in
// status, keep-awake dying at logout, EPIPE stack traces. Real processes and files throughout.
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_HOLD_MS } from "../../agent/src/system/duration";
import { createHold, MAX_HOLDS_PER_USER, refreshHold, scanHolds } from "../../agent/src/signals/holds";
import { readStat } from "../../agent/src/system/proc";
import { agentBundle, REPO, runAgent, tempDir, writeConfig } from "../support/agent";
import { FakeProc } from "../support/fakeproc";
import { sleep, waitUntil } from "../support/sshd";

const NOBODY = 65534;

function nobodyName(): string {
    return (
        readFileSync("/etc/passwd", "utf8")
            .split("\n")
            .find((l) => l.split(":")[2] === String(NOBODY))
            ?.split(":")[0] ?? String(NOBODY)
    );
}

/** A hold file as anyone could write it by hand, owned by `uid`. */
function handWrittenHold(holdsDir: string, id: string, uid: number, body: Record<string, unknown>): void {
    const path = join(holdsDir, `${id}.json`);
    writeFileSync(path, JSON.stringify(body));
    chownSync(path, uid, uid);
}

describe("hardening against local users", function () {
    this.timeout(90000);
    before(function () {
        if (process.getuid?.() !== 0) throw new Error("these tests chown files to other users: run them as root");
    });

    describe("holds", () => {
        it("a hand-written hold ending in 9999 ends MAX_HOLD_MS after its file was written", async () => {
            const cfg = writeConfig({});
            handWrittenHold(cfg.holdsDir, "0000aaaa", NOBODY, {
                user: "root",
                expiresAt: "9999-12-31T00:00:00.000Z",
                createdAt: "2000-01-01T00:00:00.000Z",
            });
            const now = Date.now();
            assert.deepEqual(
                scanHolds(cfg.holdsDir, now).active.map((h) => h.id),
                ["0000aaaa"],
                "counts for now",
            );
            assert.deepEqual(
                scanHolds(cfg.holdsDir, now + MAX_HOLD_MS - 60000).active.map((h) => h.id),
                ["0000aaaa"],
            );
            assert.deepEqual(scanHolds(cfg.holdsDir, now + MAX_HOLD_MS + 60000).active, [], "not forever");
            const r = await runAgent(["hold", "8d", "--config", cfg.path]);
            assert.equal(r.code, 2, "the CLI refuses more than the maximum too");
        });

        it("keep-awake's refresh moves a hold's limit forward (so a long command is not cut at the maximum)", async () => {
            const cfg = writeConfig({});
            const h = createHold(cfg.holdsDir, { durationMs: 3600000 });
            const before = scanHolds(cfg.holdsDir).active[0].limitAt;
            await sleep(1100);
            refreshHold(cfg.holdsDir, h.id);
            const after = scanHolds(cfg.holdsDir).active[0].limitAt;
            assert.ok(Date.parse(after) - Date.parse(before) >= 1000, `${before} -> ${after}`);
        });

        it("trusts the file's owner: its `user` field is ignored, and another user's process cannot keep it alive", async () => {
            const cfg = writeConfig({});
            const init = readStat("/proc", 1);
            assert.ok(init);
            // pid 1 (root's) named as the owner in a file of nobody's: not alive for this hold.
            handWrittenHold(cfg.holdsDir, "0000bbbb", NOBODY, { user: "root", owner: { pid: 1, start: init.starttime } });
            // The same in root's own file: pid 1 is root's, so it counts (the check is the uid).
            handWrittenHold(cfg.holdsDir, "0000cccc", 0, { user: "alice", owner: { pid: 1, start: init.starttime } });
            const r = await runAgent(["status", "--json", "--config", cfg.path]);
            assert.equal(r.code, 0, r.stderr);
            const st = JSON.parse(r.stdout) as { holds: Array<{ id: string; user: string; uid: number }> };
            assert.deepEqual(
                st.holds.map((h) => [h.id, h.user, h.uid]),
                [["0000cccc", "root", 0]],
            );
            const scan = scanHolds(cfg.holdsDir);
            assert.deepEqual(
                scan.expired.map((h) => [h.id, h.user]),
                [["0000bbbb", nobodyName()]],
                "named after the file's owner",
            );
        });

        it("strips control characters from what status prints", async () => {
            const cfg = writeConfig({});
            const evil = "\u001b]0;owned\u0007\u001b[2J\u001b[31mred\rover\u009b";
            handWrittenHold(cfg.holdsDir, "0000dddd", NOBODY, {
                user: `x${evil}`,
                expiresAt: new Date(Date.now() + 3600000).toISOString(),
                reason: evil,
                command: evil,
            });
            for (const args of [["status"], ["status", "--json"]]) {
                const r = await runAgent([...args, "--config", cfg.path]);
                assert.equal(r.code, 0, r.stderr);
                assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, JSON.stringify(r.stdout));
                assert.doesNotMatch(r.stdout, /\\u001b|\\u0007/, "not even escaped in JSON");
                assert.match(r.stdout, /\?\]0;owned\?\?\[2J\?\[31mred\?over\?/);
            }
        });

        it(`counts at most ${MAX_HOLDS_PER_USER} holds per user, and hold refuses more`, async () => {
            const cfg = writeConfig({});
            const until = new Date(Date.now() + 3600000).toISOString();
            for (let i = 0; i < MAX_HOLDS_PER_USER + 5; i++)
                handWrittenHold(cfg.holdsDir, `1111${String(i).padStart(4, "0")}`, NOBODY, { expiresAt: until });
            const scan = scanHolds(cfg.holdsDir);
            assert.equal(scan.active.length, MAX_HOLDS_PER_USER);
            assert.equal(scan.ignored.length, 5);
            for (let i = 0; i < MAX_HOLDS_PER_USER; i++) {
                const ok = await runAgent(["hold", "1h", "--config", cfg.path]);
                assert.equal(ok.code, 0, ok.stderr);
            }
            const refused = await runAgent(["hold", "1h", "--config", cfg.path]);
            assert.equal(refused.code, 1);
            assert.match(refused.stderr, new RegExp(`already has ${MAX_HOLDS_PER_USER} holds`));
            assert.equal(scanHolds(cfg.holdsDir).active.length, 2 * MAX_HOLDS_PER_USER, "root's and nobody's");
        });
    });

    describe("keep-awake under nohup", () => {
        let group: ChildProcess | undefined;
        afterEach(() => {
            try {
                if (group?.pid) process.kill(-group.pid, "SIGKILL");
            } catch {
                /* gone */
            }
        });

        /** The installed `idle-stop` wrapper, pointed at this test's node, bundle and config. */
        function wrapper(cfgPath: string): string {
            const dir = tempDir();
            const path = join(dir, "idle-stop");
            copyFileSync(join(REPO, "agent", "install", "idle-stop-wrapper.sh"), path);
            const text = readFileSync(path, "utf8")
                .replaceAll("/opt/idle-stop/node", process.execPath)
                .replaceAll("/opt/idle-stop/idle-stop-agent.js", agentBundle())
                .replaceAll("/etc/idle-stop/agent.json", cfgPath);
            writeFileSync(path, text);
            chmodSync(path, 0o755);
            return path;
        }

        async function startJob(cmd: string[], cfg: { holdsDir: string }): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
            // Its own process group, like a shell job; the logout's SIGHUP goes to the whole group.
            const child = spawn(cmd[0], cmd.slice(1), { detached: true, stdio: "ignore", cwd: tempDir() });
            group = child;
            const exited = new Promise<number | null>((r) => child.on("exit", (code, signal) => r(code ?? (signal ? 128 + 1 : null))));
            await waitUntil(() => readdirSync(cfg.holdsDir).length === 1, 10000, "the keep-awake hold");
            await sleep(300);
            return { child, exited };
        }

        it("`nohup idle-stop keep-awake -- CMD` survives the logout's SIGHUP, and so does CMD and the hold", async () => {
            const cfg = writeConfig({});
            const idleStop = wrapper(cfg.path);
            const marker = join(tempDir(), "done");
            const cmd = ["nohup", idleStop, "keep-awake", "--", "sh", "-c", `sleep 3; touch '${marker}'`];
            const job = await startJob(cmd, cfg);
            process.kill(-(job.child.pid as number), "SIGHUP");
            await sleep(500);
            assert.equal(scanHolds(cfg.holdsDir).active.length, 1, "still holding after SIGHUP");
            assert.equal(await job.exited, 0, "keep-awake exits with CMD's code once CMD finishes");
            assert.ok(readdirSync(join(marker, "..")).includes("done"), "CMD ran to the end");
            assert.deepEqual(readdirSync(cfg.holdsDir), [], "the hold ends with CMD");

            // Without nohup, SIGHUP still ends both (forwarded as before).
            const plain = await startJob([idleStop, "keep-awake", "--", "sleep", "30"], cfg);
            process.kill(-(plain.child.pid as number), "SIGHUP");
            assert.equal(await plain.exited, 129);
            assert.deepEqual(readdirSync(cfg.holdsDir), []);
        });
    });

    describe("output into a closed pipe", () => {
        it("`idle-stop status | head -n 1` ends quietly, without an EPIPE stack trace", async () => {
            const fake = new FakeProc().withListener();
            for (let i = 0; i < 1500; i++) fake.addSession({ pid: 1001 + 2 * i, user: `user${i}`, uid: 2000 + i, tty: `pts/${i}` });
            const cfg = writeConfig({ procRoot: fake.root });
            for (const args of [["status", "--json"], ["status"], ["sessions", "--json"]]) {
                const script = `{ '${process.execPath}' '${agentBundle()}' ${args.join(" ")} --config '${cfg.path}'; echo "agent-exit=$?" >&2; } | head -n 1`;
                const r = await new Promise<{ out: string; err: string }>((resolve) => {
                    const sh = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
                    let out = "";
                    let err = "";
                    sh.stdout.on("data", (d: Buffer) => (out += d.toString()));
                    sh.stderr.on("data", (d: Buffer) => (err += d.toString()));
                    sh.on("close", () => resolve({ out, err }));
                });
                assert.equal(r.out.split("\n").length, 2, "head printed one line");
                assert.doesNotMatch(r.err, /EPIPE|Error|at /, r.err);
                assert.match(r.err, /^agent-exit=0\n$/, args.join(" "));
            }
        });
    });
});
