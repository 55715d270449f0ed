// The installation's files: the Node.js link and runtime, the bundle and scripts under
// /opt/idle-stop, /etc/idle-stop (config, credentials, agent.env), the idle-stop command and the
// login notice (docs/reference/installer.md lists each with its owner and mode).
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Config } from "../config";
import { Manifest, putFile } from "./manifest";
import { fail } from "./messages";
import { ETC_DIR, MARKER, PREFIX, PROFILE_SCRIPT, STATE_DIR, WRAPPER } from "./paths";
import { run } from "./system";

/** The Node.js the service runs: a downloaded runtime moves in (or an old one, unused now, goes). */
export function placeNode(manifest: Manifest, node: string, download: string | undefined): void {
    const runtime = join(PREFIX, "runtime");
    if (download !== undefined) {
        rmSync(runtime, { recursive: true, force: true });
        // mv: /tmp is often another file system.
        if (run("mv", [join(download, "runtime"), runtime], { stderr: "inherit" }).code !== 0)
            fail(`could not move the downloaded Node.js to ${runtime}`);
        manifest.add(`dir ${runtime}`);
    } else if (existsSync(runtime) && !node.startsWith(`${runtime}/`)) {
        rmSync(runtime, { recursive: true, force: true });
        manifest.remove(`dir ${runtime}`);
    }
    putFile(join(PREFIX, "node-path"), `${node}\n`, 0o644);
    const link = join(PREFIX, "node.idle-stop-new");
    rmSync(link, { force: true });
    symlinkSync(node, link);
    renameSync(link, join(PREFIX, "node"));
}

/** The bundle, the uninstaller, the no-systemd daemon script, the unit's copy and a README. */
export function installBundle(payload: string, release: string, idleMinutes: number | undefined): void {
    const copy = (name: string, mode: number): void => putFile(join(PREFIX, name), readFileSync(join(payload, name)), mode);
    copy("idle-stop-agent.js", 0o644);
    copy("uninstall.sh", 0o755);
    copy("idle-stop-daemon.sh", 0o755);
    copy("idle-stop-agent.service", 0o644);
    putFile(
        join(PREFIX, "README"),
        [
            `idle-stop agent, release ${release}`,
            `Stops this machine after ${idleMinutes ?? "N"} idle minutes (no SSH session, no hold).`,
            "Commands: idle-stop status | idle-stop hold 2h | idle-stop release --all",
            `Config: ${ETC_DIR}/agent.json; state: ${STATE_DIR}; remove: sudo sh ${PREFIX}/uninstall.sh`,
            "",
        ].join("\n"),
        0o644,
    );
}

/** /etc/idle-stop: agent.json (as given, plus sshd's facts), the credentials (0600, the agent's) and agent.env. */
export function installEtc(manifest: Manifest, configBytes: Buffer, credentials: Buffer | null, agent: { uid: number; gid: number }): void {
    if (!existsSync(ETC_DIR)) mkdirSync(ETC_DIR, { recursive: true });
    manifest.add(`dir ${ETC_DIR}`);
    chownSync(ETC_DIR, 0, 0);
    chmodSync(ETC_DIR, 0o755);
    putFile(join(ETC_DIR, "agent.json"), configBytes, 0o644);
    const file = join(ETC_DIR, "credentials");
    if (credentials !== null) {
        // Never world-readable, not even briefly: created 0600, then given to the agent.
        const tmp = `${file}.idle-stop-new`;
        rmSync(tmp, { force: true });
        writeFileSync(tmp, credentials, { mode: 0o600, flag: "wx" });
        chmodSync(tmp, 0o600);
        chownSync(tmp, agent.uid, agent.gid);
        renameSync(tmp, file);
        putFile(join(ETC_DIR, "agent.env"), `AWS_SHARED_CREDENTIALS_FILE=${file}\n`, 0o644);
    } else {
        rmSync(file, { force: true }); // an earlier install's key (IAM-user mode) is no longer used
        putFile(join(ETC_DIR, "agent.env"), "", 0o644);
    }
}

/** The idle-stop command for every user. */
export function installWrapper(manifest: Manifest, payload: string): void {
    mkdirSync(dirname(WRAPPER), { recursive: true });
    manifest.claimFile(WRAPPER);
    putFile(WRAPPER, readFileSync(join(payload, "idle-stop-wrapper.sh")), 0o755);
}

/** What the login notice needs of agent.json: the stop delay and which signals are on. */
export type NoticeSettings = Pick<
    Config,
    "idleMinutes" | "sessionIdleSeconds" | "busyCpuPercent" | "busyProcessPercent" | "busyGpuPercent" | "transferBytesPerMinute"
>;

/**
 * The notice line: when the box stops and what counts as use (docs/reference/metric.md), naming
 * only the signals that are on. sessionIdleSeconds 0 is the original rule (a connected session is
 * enough), hence "SSH sessions"; otherwise typing (any terminal) and SSH traffic. Fixed words only:
 * the line goes into a double-quoted shell string.
 */
export function loginNotice(c: NoticeSettings): string {
    const after = c.idleMinutes === undefined ? "a few idle minutes" : c.idleMinutes === 1 ? "1 idle minute" : `${c.idleMinutes} idle minutes`;
    const sessions = c.sessionIdleSeconds > 0 ? ["typing", "SSH traffic"] : ["SSH sessions"];
    const work = [
        c.busyCpuPercent > 0 ? "busy CPU" : "",
        c.busyProcessPercent > 0 ? "busy processes" : "",
        c.busyGpuPercent > 0 ? "GPU" : "",
        c.transferBytesPerMinute > 0 ? "transfers" : "",
    ].filter((word) => word !== "");
    const use = c.sessionIdleSeconds === 0 && work.length === 0 ? "no SSH session" : `no use (${[...sessions, ...work].join(", ")})`;
    return `idle-stop: this machine stops after ${after} with ${use}; 'idle-stop hold 2h' keeps it awake.`;
}

/** The one-line notice on interactive logins; non-interactive shells print nothing. */
export function installLoginNotice(manifest: Manifest, settings: NoticeSettings): void {
    manifest.claimFile(PROFILE_SCRIPT);
    const notice = loginNotice(settings);
    putFile(
        PROFILE_SCRIPT,
        [
            `# ${MARKER}: one-line notice for interactive logins. Removed by ${PREFIX}/uninstall.sh.`,
            "# Non-interactive shells (ssh host CMD, scp, sftp, scripts) print nothing.",
            "case $- in",
            "*i*)",
            `    if [ -t 1 ] && [ -x ${WRAPPER} ]; then`,
            `        printf '%s\\n' "${notice}"`,
            "    fi",
            "    ;;",
            "esac",
            "",
        ].join("\n"),
        0o644,
    );
}
