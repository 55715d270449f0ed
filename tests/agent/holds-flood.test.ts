// Hold files anyone can write, at their worst: an expiresAt carrying escape codes or a date far
// past the 7-day limit, and a flood of expired hold files. status prints nothing raw and never more
// than the limit; a scan does bounded work and still finds a valid hold; the daemon's log stays
// bounded; `release --expired` as root empties the flood. Rules: docs/reference/agent.md.
import * as assert from "node:assert/strict";
import { chmodSync, chownSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHold, MAX_OPEN_PER_USER, scanHolds } from "../../agent/src/signals/holds";
import { Holds, MAX_EXPIRED_LOGGED, OVERFLOW_ID } from "../../agent/src/signals/holds-signal";
import { MAX_SCAN_ENTRIES, scanWork } from "../../agent/src/signals/holds-scan";
import { runCommandLine } from "../../agent/src/cli/dispatch";
import { systemClock } from "../../agent/src/system/clock";
import { MAX_HOLD_MS } from "../../agent/src/system/duration";
import { agentBundle, Daemon, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { sleep, SshdFixture, waitUntil } from "../support/sshd";

const NOBODY = 65534;
/** Control characters, raw or as JSON escapes. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\\u00(?:1b|07|9b)/i;

function handWrittenHold(holdsDir: string, id: string, uid: number, body: Record<string, unknown>): void {
    const path = join(holdsDir, `${id}.json`);
    writeFileSync(path, JSON.stringify(body));
    chownSync(path, uid, uid);
}

/** n expired hold files (expiresAt in the past, written now) spread over `owners` uids. */
function flood(holdsDir: string, from: number, n: number, owners: number[]): void {
    const body = JSON.stringify({ expiresAt: "2020-01-01T00:00:00.000Z", reason: "flood" });
    for (let i = from; i < from + n; i++) {
        const path = join(holdsDir, `${(0x10000000 + i).toString(16)}.json`);
        writeFileSync(path, body);
        const uid = owners[i % owners.length];
        chownSync(path, uid, uid);
    }
}

async function statusJson(cfgPath: string): Promise<{ active: number; holds: Array<{ id: string; expiresAt: string | null; limitAt: string }> }> {
    const r = await runAgent(["status", "--json", "--config", cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { active: number; holds: Array<{ id: string; expiresAt: string | null; limitAt: string }> };
}

describe("hold files at their worst", function () {
    this.timeout(180000);
    before(function () {
        if (process.getuid?.() !== 0) throw new Error("these tests chown files to other users: run them as root");
    });

    it("an expiresAt with escape codes prints nothing raw, and the time left never passes the 7-day limit", async () => {
        const cfg = writeConfig({});
        // Date.parse takes the second form, "( ... )" and all (the first is refused by Node.js 20's parser).
        handWrittenHold(cfg.holdsDir, "0000eeee", NOBODY, { expiresAt: "2099-01-01T00:00:00Z (\u001b[31mowned)", reason: "x\u001b[2Jy" });
        handWrittenHold(cfg.holdsDir, "0000eeef", NOBODY, { expiresAt: "2099-01-01 00:00:00Z (\u001b[31mowned)", reason: "x\u001b[2Jy" });
        handWrittenHold(cfg.holdsDir, "0000ffff", NOBODY, { expiresAt: "2099-01-01T00:00:00Z", reason: "far future" });
        const now = Date.now();
        for (const args of [["status"], ["status", "--json"]]) {
            const r = await runAgent([...args, "--config", cfg.path]);
            assert.equal(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, CONTROL, JSON.stringify(r.stdout));
            assert.doesNotMatch(r.stdout, /owned|2099/, "neither the raw text nor the asked time is shown");
        }
        const st = await statusJson(cfg.path);
        assert.deepEqual(
            st.holds.map((h) => h.id),
            ["0000ffff"],
            "a time that is not strict ISO 8601 is no time",
        );
        const ends = Date.parse(st.holds[0].expiresAt ?? "");
        assert.equal(st.holds[0].expiresAt, st.holds[0].limitAt, "the limit comes first");
        assert.ok(ends <= now + MAX_HOLD_MS + 60000, st.holds[0].expiresAt ?? "");
        const text = (await runAgent(["status", "--config", cfg.path])).stdout;
        assert.match(text, /0000ffff .*\((?:6d\d+h|7d)[^)]* left\)/, text);
    });

    describe("a flood of expired hold files", () => {
        let cw: CloudWatchEndpoint;
        let users: SshdFixture;
        const daemons: Daemon[] = [];
        before(async () => {
            cw = await startCloudWatchEndpoint();
            users = new SshdFixture(); // user management only, no sshd
        });
        after(async () => {
            for (const d of daemons) await d.stop("SIGKILL");
            await cw.close();
            await users.stop();
        });

        it("a scan opens a bounded number of files, finds the valid hold, and fails toward in use past its bounds", async () => {
            const cfg = writeConfig({});
            const valid = createHold(cfg.holdsDir, { durationMs: 3600000, reason: "valid" });
            flood(cfg.holdsDir, 0, 5000, [NOBODY]);
            const scan = scanHolds(cfg.holdsDir);
            assert.deepEqual(
                scan.active.map((h) => h.id),
                [valid.id],
                "found among 5,000 expired files",
            );
            assert.equal(scan.expiredCount, MAX_OPEN_PER_USER, "only the flooder's newest files were opened");
            assert.equal(scan.unread, 5000 - MAX_OPEN_PER_USER);
            assert.equal(scan.overflow, false);

            flood(cfg.holdsDir, 5000, 15000, [NOBODY]);
            assert.equal(scanHolds(cfg.holdsDir).overflow, true, "20,001 entries: more than a scan reads");
            const st = await statusJson(cfg.path);
            assert.ok(
                st.holds.some((h) => h.id === OVERFLOW_ID),
                JSON.stringify(st.holds),
            );
            assert.ok(st.active >= 1, "an unread file could be a valid hold: in use");

            const r = await runAgent(["release", "--expired", "--config", cfg.path], { timeoutMs: 120000 });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /^removed 20000 expired hold files\n$/);
            assert.deepEqual(readdirSync(cfg.holdsDir), [`${valid.id}.json`], "the valid hold stays");
            assert.deepEqual(
                (await statusJson(cfg.path)).holds.map((h) => h.id),
                [valid.id],
            );
        });

        it("the daemon (not root, as on a box) logs a bounded number of lines for 20,000 expired holds", async () => {
            const agent = users.addUser({ noKey: true });
            const uid = Number(
                readFileSync("/etc/passwd", "utf8")
                    .split("\n")
                    .find((l) => l.startsWith(`${agent}:`))
                    ?.split(":")[2],
            );
            const dir = tempDir();
            chmodSync(dir, 0o755);
            chmodSync(join(agentBundle(), ".."), 0o755);
            const fake = new FakeProc().withListener();
            chmodSync(fake.root, 0o755);
            const cfg = writeConfig(
                { instanceId: "i-0123456789abcdef0", region: "eu-west-1", sampleSeconds: 1, publishSeconds: 2, procRoot: fake.root },
                dir,
            );
            chownSync(cfg.stateDir, uid, uid);
            chmodSync(cfg.holdsDir, 0o1777); // root's, sticky: the agent cannot remove others' files
            // 40 owners, so each scan opens (and finds expired) more holds than one sample logs.
            flood(
                cfg.holdsDir,
                0,
                20000,
                Array.from({ length: 40 }, (_, i) => 70000 + i),
            );
            const d = new Daemon(cfg.path, clientEnv(cw.url), agentBundle(), { uid, gid: uid });
            daemons.push(d);
            const expiredLines = (): string[] => d.events("hold_expired").filter((l) => /event=hold_expired(?:\s|$)/.test(l));
            const statusAt = (): string => {
                try {
                    return (JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { updatedAt: string }).updatedAt;
                } catch {
                    return "";
                }
            };
            await waitUntil(() => expiredLines().length > 0, 30000, `hold_expired logged (log: ${d.stderr.slice(-2000)})`);
            await sleep(6000); // several more samples
            assert.ok(Date.now() - Date.parse(statusAt()) < 10000, "the daemon keeps sampling");
            assert.ok(expiredLines().length <= MAX_EXPIRED_LOGGED, `${expiredLines().length} hold_expired lines`);
            assert.ok(d.events("hold_expired_more").length <= 2, d.events("hold_expired_more").join("\n"));
            assert.match(d.events("hold_expired_more")[0] ?? "", /count=\d+/);
            assert.equal(readdirSync(cfg.holdsDir).length, 20000, "not the agent's to remove");
        });
    });
});

/** n hold-named files that are no hold (never active, never expired until their 7-day limit). */
function junk(holdsDir: string, from: number, n: number): void {
    for (let i = from; i < from + n; i++) writeFileSync(join(holdsDir, `${(0x20000000 + i).toString(16)}.json`), "not a hold");
}

describe("a holds directory full of junk, sample after sample", function () {
    this.timeout(120000);

    it("a sample with no change to the directory opens no file, and a new hold is still seen on the next sample", () => {
        const cfg = writeConfig({});
        junk(cfg.holdsDir, 0, 3000);
        const signal = new Holds(cfg.holdsDir, true); // as the daemon: cleanup on
        // Samples a few seconds after the last change, as the daemon's would be.
        const at = (): number => Date.now() + 5000;
        assert.equal(signal.sample({ now: at(), sessions: [] }).active, 0);
        const before = { ...scanWork };
        assert.equal(signal.sample({ now: at(), sessions: [] }).active, 0);
        assert.deepEqual(scanWork, before, "the unchanged directory was not scanned again");

        const valid = createHold(cfg.holdsDir, { durationMs: 3600000, reason: "valid" });
        const r = signal.sample({ now: at(), sessions: [] });
        assert.deepEqual(
            r.detail.map((h) => h.id),
            [valid.id],
            "the new hold counts on the next sample",
        );
        assert.ok(scanWork.scans > before.scans);
        const withHold = { ...scanWork };
        assert.equal(signal.sample({ now: at(), sessions: [] }).active, 1, "and goes on counting from the cached scan");
        assert.deepEqual(scanWork, withHold);
        assert.equal(signal.sample({ now: Date.now() + 3600000 + 1000, sessions: [] }).active, 0, "its end needs no directory change");
    });
});

describe("a holds directory overflowing with junk, then left alone", function () {
    this.timeout(120000);

    it("counts as one hold only while the directory changed within the 7-day limit; release --expired then empties it", async () => {
        const cfg = writeConfig({});
        const half = Math.ceil((MAX_SCAN_ENTRIES + 1) / 2);
        junk(cfg.holdsDir, 0, half); // hold-named, no hold
        for (let i = 0; i < MAX_SCAN_ENTRIES + 1 - half; i++) writeFileSync(join(cfg.holdsDir, `junk-${i}`), "x");
        const now = Date.now();
        assert.equal(scanHolds(cfg.holdsDir, now).overflow, true, "more entries than a scan reads");
        assert.equal(new Holds(cfg.holdsDir, false).sample({ now, sessions: [] }).active, 1, "an unread file could be a valid hold");

        const later = now + MAX_HOLD_MS + 60000; // nothing added, removed or renamed since
        assert.equal(scanHolds(cfg.holdsDir, later).overflow, false, "no file in it can be a hold within its limit");
        assert.equal(new Holds(cfg.holdsDir, false).sample({ now: later, sessions: [] }).active, 0);

        const code = await runCommandLine(["release", "--expired", "--config", cfg.path], { ...systemClock, wall: () => later });
        assert.equal(code, 0);
        assert.deepEqual(readdirSync(cfg.holdsDir), [], "root removes the junk");
    });
});
