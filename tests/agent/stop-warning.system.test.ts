// The warning on the box (docs/reference/agent.md, warnMinutes): the daemon writes one line to every
// logged-in terminal through util-linux `wall`, once per idle stretch, and the line (output) does
// not count as use. Real sshd, real pty session, real utmp: this machine has no /run/utmp, so the
// test creates it (and removes it if it made it). Touches /run/utmp: run under
// the system tier's lock (/tmp/idle-stop-system-tests.lock, tests/run-tiers.mjs). The agent runs as an ordinary user in group tty, as the
// systemd unit runs it (User=idle-stop, SupplementaryGroups=tty: NoNewPrivileges cancels wall's
// setgid, and this machine's wall is not setgid at all).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { listSessions } from "../../agent/src/signals/sessions";
import type { StatusFile } from "../../agent/src/daemon/status-file";
import { agentBundle, Daemon, writeConfig } from "../support/agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { IsolatedView } from "../support/isolated-view";
import { sleep, useSshd, waitUntil } from "../support/sshd";

describe("the stop warning on the box (wall)", function () {
    this.timeout(120000);
    const sshd = useSshd();
    let cw: CloudWatchEndpoint;
    let madeUtmp = false;
    before(async () => {
        cw = await startCloudWatchEndpoint();
        if (!existsSync("/run/utmp")) {
            execFileSync("install", ["-m", "664", "-g", "utmp", "/dev/null", "/run/utmp"]);
            madeUtmp = true;
        }
    });
    after(async () => {
        await cw.close();
        if (madeUtmp) rmSync("/run/utmp", { force: true });
    });

    it("reaches an idle terminal once per idle stretch and does not reset its idleness", async () => {
        const view = new IsolatedView(() => sshd().pid).start();
        const user = sshd().addUser();
        const session = await sshd().openSession(user, { pty: true });
        let daemon: Daemon | undefined;
        try {
            // sshd recorded the login in utmp: that is how wall finds the terminal
            await waitUntil(() => execFileSync("who", { encoding: "utf8" }).includes(user), 10000, `${user} in who`);
            const cfg = writeConfig({
                instanceId: "i-0123456789abcdef0",
                region: "us-east-1",
                sampleSeconds: 1,
                publishSeconds: 3,
                procRoot: view.procRoot,
                devRoot: view.devRoot,
                sshPorts: [sshd().port],
                // The session stays silent (no input). A short sessionIdleSeconds only brings the idle stretch
                // sooner; it stays above 8 s because the kernel moves a terminal's times in 8 s steps, so
                // the warning's output must come over 8 s after the login's prompt to move the mtime.
                sessionIdleSeconds: 10,
                idleMinutes: 1,
                warnMinutes: 2,
            });
            const agentName = sshd().addUser({ noKey: true, prefix: "isw" });
            const uid = Number(
                readFileSync("/etc/passwd", "utf8")
                    .split("\n")
                    .find((l) => l.startsWith(`${agentName}:`))
                    ?.split(":")[2],
            );
            const ttyGid = Number(
                readFileSync("/etc/group", "utf8")
                    .split("\n")
                    .find((l) => l.startsWith("tty:"))
                    ?.split(":")[2],
            );
            for (const d of [view.procRoot, view.devRoot, cfg.dir, join(agentBundle(), "..")]) chmodSync(d, 0o755);
            chownSync(cfg.stateDir, uid, ttyGid);
            daemon = new Daemon(cfg.path, clientEnv(cw.url), agentBundle(), { uid, gid: ttyGid });
            const tty = await waitUntil(
                () => listSessions(view.procRoot).find((s) => s.user === user)?.tty ?? false,
                10000,
                "the session in the agent's view",
            );
            assert.match(tty, /^pts\/\d+$/);
            const atimeBefore = statSync(`/dev/${tty}`).atimeMs;
            // idle after 10 s; the expected stop is within warnMinutes at once, so the warning follows
            await session
                .waitFor(/idle-stop: stops at \d\d:\d\d UTC \(in [0-9hm]+\)\. Keep it: type, or idle-stop hold 1h/, 60000)
                .catch((e: Error) => {
                    throw new Error(
                        `${e.message}\nagent: ${daemon?.stderr
                            .split("\n")
                            .filter((l) => !l.includes("event=published"))
                            .join("\n")}\nstatus: ${readFileSync(join(cfg.stateDir, "status.json"), "utf8")}\nterminal: ${session.output()}`,
                    );
                });
            const status = (): StatusFile => JSON.parse(readFileSync(join(cfg.stateDir, "status.json"), "utf8")) as StatusFile;
            const at = status();
            assert.equal(at.active, 0);
            await sleep(5000);
            const later = status();
            const rec = later.sessionUse?.[0];
            assert.equal(rec?.inUse, false, JSON.stringify(later.sessionUse));
            assert.equal(later.active, 0);
            assert.equal(rec?.lastActivityAt, at.sessionUse?.[0]?.lastActivityAt, "the warning did not count as activity");
            assert.equal(statSync(`/dev/${tty}`).atimeMs, atimeBefore, "the terminal's input time did not move");
            assert.ok(statSync(`/dev/${tty}`).mtimeMs > atimeBefore, "the warning was written (output time moved)");
            assert.equal(daemon.events("warned_terminals").length, 1, daemon.stderr);
            assert.ok(later.lastWarning?.error === null, JSON.stringify(later.lastWarning));
            assert.equal((session.output().match(/idle-stop: stops at/g) ?? []).length, 1, "once per idle stretch");
        } finally {
            await daemon?.stop("SIGKILL");
            await session.close();
            view.stop();
        }
    });
});
