// Keeping the agent running: the systemd unit where systemd is PID 1, otherwise a cron entry and
// a detached daemon (idle-stop-daemon.sh). Either way the agent restarts with the new bundle and
// config, and the install fails when it does not stay up.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest, putFile } from "./manifest";
import { fail, say } from "./messages";
import { AGENT_USER, CRON_FILE, DAEMON_SCRIPT, MARKER, PREFIX, STATE_DIR, UNIT_NAME, UNIT_PATH } from "./paths";
import { commandPath, run, runAs, sleep } from "./system";

export async function startAgent(manifest: Manifest, payload: string): Promise<void> {
    if (existsSync("/run/systemd/system") && commandPath("systemctl") !== null) await startWithSystemd(manifest, payload);
    else await startWithCron(manifest);
}

function executable(path: string): boolean {
    try {
        accessSync(path, constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** The pid file is the agent's: stop it with the agent's own rights, so a pid planted there can only be one of its processes. */
function stopDaemon(): void {
    runAs(AGENT_USER, [DAEMON_SCRIPT, "stop"], { stdout: "ignore", stderr: "inherit" });
}

function daemonRunning(): boolean {
    return executable(DAEMON_SCRIPT) && run(DAEMON_SCRIPT, ["status"], { stderr: "ignore" }).code === 0;
}

async function startWithSystemd(manifest: Manifest, payload: string): Promise<void> {
    manifest.removeOwnedFile(CRON_FILE);
    if (executable(DAEMON_SCRIPT)) stopDaemon();
    manifest.claimFile(UNIT_PATH);
    putFile(UNIT_PATH, readFileSync(join(payload, "idle-stop-agent.service")), 0o644);
    if (run("systemctl", ["daemon-reload"], { stdout: "ignore", stderr: "inherit" }).code !== 0) fail("systemctl daemon-reload failed");
    if (run("systemctl", ["enable", UNIT_NAME], { stderr: "ignore" }).code !== 0) fail(`systemctl enable ${UNIT_NAME} failed`);
    if (run("systemctl", ["restart", UNIT_NAME], { stdout: "ignore", stderr: "inherit" }).code !== 0) {
        fail(`systemctl restart ${UNIT_NAME} failed; see: journalctl -u ${UNIT_NAME}`);
    }
    await sleep(2000);
    if (run("systemctl", ["is-active", "--quiet", UNIT_NAME]).code !== 0) {
        process.stderr.write(run("journalctl", ["-u", UNIT_NAME, "-n", "20", "--no-pager"]).stdout);
        fail(`${UNIT_NAME} does not stay running; see: journalctl -u ${UNIT_NAME}`);
    }
    say(`agent running under systemd (${UNIT_NAME}, enabled at boot)`);
}

async function startWithCron(manifest: Manifest): Promise<void> {
    manifest.removeOwnedFile(UNIT_PATH);
    manifest.claimFile(CRON_FILE);
    putFile(
        CRON_FILE,
        [
            `# ${MARKER}: keeps the idle-stop agent running on this machine without systemd.`,
            `# Removed by ${PREFIX}/uninstall.sh.`,
            "SHELL=/bin/sh",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            `@reboot ${AGENT_USER} ${DAEMON_SCRIPT} start >/dev/null 2>&1`,
            `* * * * * ${AGENT_USER} ${DAEMON_SCRIPT} start >/dev/null 2>&1`,
            "",
        ].join("\n"),
        0o644,
    );
    // Restart so a new bundle or config takes effect now.
    stopDaemon();
    runAs(AGENT_USER, [DAEMON_SCRIPT, "start"], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 20 && !daemonRunning(); i++) await sleep(250);
    await sleep(1000);
    const log = `${STATE_DIR}/agent.log`;
    if (!daemonRunning()) {
        // As the agent's user: the log lives in the agent's directory and may be a symlink it planted.
        process.stderr.write(runAs(AGENT_USER, ["tail", "-n", "20", log], { stderr: "ignore" }).stdout);
        fail(`the agent did not stay running; see ${log}`);
    }
    if (commandPath("cron") !== null || commandPath("crond") !== null) {
        say(`agent running as ${AGENT_USER} without systemd; ${CRON_FILE} restarts it (log: ${log})`);
    } else {
        say(
            `agent running as ${AGENT_USER} without systemd (log: ${log}); note: no cron daemon is installed, so nothing restarts it after a crash or reboot until cron is installed`,
        );
    }
}
