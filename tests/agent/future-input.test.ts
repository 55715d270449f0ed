// A terminal access time from the future (its owner's `touch -a -d 2099-12-31 /dev/pts/N`, or a
// clock stepped back) counts as input when first seen and then ages like any other; it never keeps
// a box up by itself (docs/reference/metric.md). A real terminal from `script`, real touch.
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { OtherTerminals } from "../../agent/src/signals/other-terminals";
import type { Session } from "../../agent/src/signals/sessions";
import { TerminalInput } from "../../agent/src/signals/terminal-input";
import { userName } from "../../agent/src/system/users";
import { Daemon, tempDir, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { ttyOf } from "../support/isolated-view";
import { descendantsOf, sleep, waitUntil } from "../support/sshd";

function touchAtime(tty: string, date: string): void {
    execFileSync("touch", ["-a", "-d", date, `/dev/${tty}`]);
}

/** A devRoot that shows only this terminal. */
function devRootWith(tty: string): string {
    const dev = tempDir("idle-stop-futuredev-");
    mkdirSync(join(dev, "pts"));
    symlinkSync(`/dev/${tty}`, join(dev, tty));
    return dev;
}

describe("a terminal access time from the future", function () {
    this.timeout(120000);
    let script: ChildProcess;
    let tty: string;
    before(async () => {
        script = spawn("script", ["-qfc", "sleep 600", "/dev/null"], { stdio: ["pipe", "ignore", "ignore"] });
        const child = await waitUntil(() => descendantsOf(script.pid as number).find((p) => ttyOf(p) !== null), 10000, "script's terminal");
        tty = ttyOf(child) as string;
    });
    after(() => {
        script.kill("SIGKILL");
    });

    it("counts once when first seen, then ages; a new future value counts once again (other terminals, with the owner)", () => {
        const S = 60;
        const other = new OtherTerminals(devRootWith(tty), S);
        touchAtime(tty, "2099-12-31");
        const t0 = Date.now();
        const first = other.sample({ now: t0, sessions: [] });
        assert.equal(first.active, 1, "input when first seen");
        assert.deepEqual(first.detail.ttys, [tty]);
        assert.equal(first.detail.lastInputAt, new Date(t0).toISOString(), "seen now, not in 2099");
        assert.equal(other.sample({ now: t0 + (S - 10) * 1000, sessions: [] }).active, 1, "within the window");
        assert.equal(other.sample({ now: t0 + (S + 1) * 1000, sessions: [] }).active, 0, "then it ages like any input");
        assert.equal(other.sample({ now: t0 + 10 * S * 1000, sessions: [] }).active, 0, "and never comes back by itself");
        const owner = statSync(`/dev/${tty}`).uid;
        assert.deepEqual(first.detail.owners, [userName(owner) ?? String(owner)], "the terminal's owner is shown");

        touchAtime(tty, "2098-06-01");
        const t1 = t0 + 11 * S * 1000;
        assert.equal(other.sample({ now: t1, sessions: [] }).active, 1, "a new future value: input when first seen");
        assert.equal(other.sample({ now: t1 + (S + 1) * 1000, sessions: [] }).active, 0, "then ages");
    });

    it("an SSH session's terminal: the same rule", () => {
        const S = 60;
        const input = new TerminalInput(devRootWith(tty), S);
        touchAtime(tty, "2099-12-31");
        const t0 = Date.now();
        const session = {
            pid: 4242,
            user: "alice",
            tty,
            ttys: [tty],
            since: new Date(t0 - 3600000).toISOString(),
            uid: 1000,
            ppid: 1,
            comm: "sshd",
            title: `sshd: alice@${tty}`,
        } as Session;
        const at = (now: number) => input.sample({ now, sessions: [session] }).detail[0];
        assert.equal(at(t0).inUse, true);
        assert.equal(at(t0).idleSeconds, 0);
        const later = at(t0 + (S + 1) * 1000);
        assert.equal(later.inUse, false, JSON.stringify(later));
        assert.equal(later.idleSeconds, S + 1);
    });

    describe("the daemon", () => {
        let cw: CloudWatchEndpoint;
        let d: Daemon | undefined;
        before(async () => {
            cw = await startCloudWatchEndpoint();
        });
        after(async () => {
            await d?.stop("SIGKILL");
            await cw.close();
        });

        it("goes idle sessionIdleSeconds after it first saw a terminal touched into 2099", async () => {
            const S = 6;
            const cfg = writeConfig({
                instanceId: "i-0123456789abcdef0",
                region: "eu-west-1",
                sampleSeconds: 1,
                publishSeconds: 2,
                procRoot: new FakeProc().withListener().root, // no SSH sessions
                devRoot: devRootWith(tty),
                sessionIdleSeconds: S,
            });
            touchAtime(tty, "2099-12-31");
            d = new Daemon(cfg.path, clientEnv(cw.url));
            const daemon = d;
            const status = (): { otherTerminalsInUse?: number; active?: number; updatedAt?: string } => {
                try {
                    return JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as { otherTerminalsInUse: number; active: number };
                } catch {
                    return {};
                }
            };
            await waitUntil(() => status().otherTerminalsInUse === 1, 20000, `counted when first seen (log: ${daemon.stderr})`);
            await waitUntil(
                () => status().otherTerminalsInUse === 0 && status().active === 0,
                (S + 20) * 1000,
                `idle after the window: ${JSON.stringify(status())}`,
            );
            const end = Date.now() + 4000;
            while (Date.now() < end) {
                assert.equal(status().active, 0, "stays idle");
                await sleep(500);
            }
        });
    });
});
