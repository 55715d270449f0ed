// The sshd drop-in with ClientAlive settings, so dead SSH connections do not keep the machine
// awake: checked with sshd -t before and after, taken back when sshd rejects it, and compared
// with what sshd really uses (sshd -T).
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { Manifest, putFile } from "./manifest";
import { fail, say } from "./messages";
import { ClientAlive } from "./options";
import { MARKER, PREFIX, SSHD_DROPIN } from "./paths";
import { commandPath, run } from "./system";

function sshdBinary(): string | null {
    const found = commandPath("sshd");
    if (found !== null) return found;
    try {
        accessSync("/usr/sbin/sshd", constants.X_OK);
        return "/usr/sbin/sshd";
    } catch {
        return null;
    }
}

/** Value of KEY in `sshd -T` output. */
function effective(dump: string, key: string): string | undefined {
    return dump
        .split("\n")
        .map((l) => l.split(" "))
        .find((f) => f[0] === key)?.[1];
}

/** Makes the system's sshd read its configuration again (existing sessions stay). */
function reloadSshd(): void {
    if (existsSync("/run/systemd/system") && commandPath("systemctl") !== null) {
        for (const svc of ["ssh.service", "sshd.service"]) {
            if (run("systemctl", ["is-active", "--quiet", svc]).code === 0 && run("systemctl", ["reload", svc], { stderr: "inherit" }).code === 0)
                return;
        }
    }
    // No systemd: SIGHUP the listener named in the system configuration's PidFile only.
    const bin = sshdBinary();
    if (bin === null) return;
    const pidFile = effective(run(bin, ["-T"]).stdout, "pidfile") || "/run/sshd.pid";
    try {
        const pid = readFileSync(pidFile, "utf8").trim();
        if (/^[0-9]+$/.test(pid)) {
            process.kill(Number(pid), "SIGHUP");
            return;
        }
    } catch {
        /* no such listener */
    }
    say(`note: no running system sshd found to reload; ${SSHD_DROPIN} applies when sshd next starts`);
}

/** Installs, updates or (without settings) removes the drop-in. */
export function configureSshd(manifest: Manifest, alive: ClientAlive | undefined): void {
    if (alive === undefined) {
        if (manifest.has(`file ${SSHD_DROPIN}`)) {
            manifest.removeOwnedFile(SSHD_DROPIN);
            say(`removed ${SSHD_DROPIN} (no --client-alive-interval any more)`);
            reloadSshd();
        }
        return;
    }
    const bin = sshdBinary();
    if (bin === null) {
        say(`warning: sshd not found; not installing ${SSHD_DROPIN}`);
        return;
    }
    if (!existsSync("/etc/ssh/sshd_config.d"))
        fail("/etc/ssh/sshd_config.d does not exist, so the ClientAlive settings cannot be added as a drop-in");
    if (!/^[ \t]*Include[ \t].*sshd_config\.d/im.test(readOrEmpty("/etc/ssh/sshd_config"))) {
        say(`warning: /etc/ssh/sshd_config does not Include /etc/ssh/sshd_config.d/*.conf; ${SSHD_DROPIN} will have no effect`);
    }
    const before = run(bin, ["-t"]);
    if (before.code !== 0)
        fail(
            `sshd -t fails before any change by idle-stop (${(before.stdout + before.stderr).trim()}); fix the sshd configuration or deploy without the ClientAlive settings`,
        );
    manifest.claimFile(SSHD_DROPIN);
    const previous = existsSync(SSHD_DROPIN) ? { text: readFileSync(SSHD_DROPIN), mode: statSync(SSHD_DROPIN).mode & 0o7777 } : null;
    putFile(
        SSHD_DROPIN,
        [
            `# ${MARKER}: closes SSH connections whose client stopped answering, so dead sessions`,
            `# do not keep this machine awake. Removed by ${PREFIX}/uninstall.sh.`,
            `ClientAliveInterval ${alive.interval}`,
            `ClientAliveCountMax ${alive.countMax}`,
            "",
        ].join("\n"),
        0o644,
    );
    const after = run(bin, ["-t"]);
    if (after.code !== 0) {
        if (previous !== null) putFile(SSHD_DROPIN, previous.text, previous.mode);
        else manifest.removeOwnedFile(SSHD_DROPIN);
        fail(
            `sshd rejects ${SSHD_DROPIN} (ClientAliveInterval ${alive.interval}, ClientAliveCountMax ${alive.countMax}): ${(after.stdout + after.stderr).trim()}; the drop-in was removed again`,
        );
    }
    reloadSshd();
    warnIfOverridden(bin, alive);
    say(`sshd: ClientAliveInterval ${alive.interval}, ClientAliveCountMax ${alive.countMax} (${SSHD_DROPIN})`);
}

function readOrEmpty(path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch {
        return "";
    }
}

/**
 * sshd uses the FIRST value it reads for most keywords, so a drop-in sorted before ours (or a
 * line in sshd_config before the Include) silently wins: compare what sshd will really use.
 */
function warnIfOverridden(bin: string, alive: ClientAlive): void {
    const dump = run(bin, ["-T"]);
    if (dump.code !== 0) {
        say(`warning: could not run '${bin} -T' to check the effective ClientAlive settings`);
        return;
    }
    const interval = effective(dump.stdout, "clientaliveinterval");
    const count = effective(dump.stdout, "clientalivecountmax");
    if (interval === String(alive.interval) && count === String(alive.countMax)) return;
    const dropins = readdirSafe("/etc/ssh/sshd_config.d")
        .filter((n) => n.endsWith(".conf"))
        .sort()
        .map((n) => `/etc/ssh/sshd_config.d/${n}`);
    const others = ["/etc/ssh/sshd_config", ...dropins].filter(
        (f) => f !== SSHD_DROPIN && /^[ \t]*ClientAlive(Interval|CountMax)[ \t]/im.test(readOrEmpty(f)),
    );
    say(
        `warning: ${SSHD_DROPIN} has no effect: sshd uses ClientAliveInterval ${interval ?? "?"} and ClientAliveCountMax ${count ?? "?"} (sshd -T), ` +
            `because an earlier setting wins${others.length > 0 ? ` (set in: ${others.join(" ")})` : ""}; dead SSH connections may keep this machine awake until TCP gives up. ` +
            "Remove that setting, or set clientAliveInterval to 0 to leave sshd alone",
    );
}

function readdirSafe(dir: string): string[] {
    try {
        return readdirSync(dir);
    } catch {
        return [];
    }
}
