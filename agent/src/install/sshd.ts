// The sshd drop-in with ClientAlive settings, so dead SSH connections do not keep the machine
// awake: checked with sshd -t before and after, taken back when sshd rejects it, and compared
// with what sshd really uses (sshd -T). Also what the agent must know of sshd (recordSshdFacts):
// the ports it listens on and its LoginGraceTime, written into agent.json.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { agentConfigDefaults, agentConfigRanges } from "../../../common/agent-config";
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

/** What the agent needs to know of the system's sshd (docs/reference/installer.md, "agent.json"). */
export interface SshdFacts {
    /** Every port sshd (or a socket-activating ssh.socket) listens on. */
    ports: number[];
    /** LoginGraceTime in seconds; null when `sshd -T` gave none. */
    loginGraceSeconds: number | null;
}

/** Ports and LoginGraceTime in `sshd -T` output (`port 22`, `listenaddress [::]:2222`, `logingracetime 120`). */
export function sshdFactsFromDump(dump: string): SshdFacts {
    const ports = new Set<number>();
    let loginGraceSeconds: number | null = null;
    for (const line of dump.split("\n")) {
        const [key, value = ""] = line.trim().split(/\s+/);
        if (key === "port" && /^\d+$/.test(value)) ports.add(Number(value));
        const listen = key === "listenaddress" ? /:(\d+)$/.exec(value) : null;
        if (listen) ports.add(Number(listen[1]));
        if (key === "logingracetime" && /^\d+$/.test(value)) loginGraceSeconds = Number(value);
    }
    return { ports: [...ports].filter(validPort).sort((a, b) => a - b), loginGraceSeconds };
}

/** Stream ports in `systemctl show ssh.socket -p Listen` output (`Listen=[::]:22 (Stream)`, one or more). */
export function socketUnitPorts(text: string): number[] {
    const ports = [...text.matchAll(/(?:^|[\s=])(?:\S*:)?(\d+) \(Stream\)/g)].map((m) => Number(m[1]));
    return [...new Set(ports)].filter(validPort).sort((a, b) => a - b);
}

function validPort(p: number): boolean {
    return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** The system's sshd facts: `sshd -T`, plus Ubuntu's socket-activated ssh.socket; null when sshd cannot say. */
export function readSshdFacts(): SshdFacts | null {
    const bin = sshdBinary();
    if (bin === null) return null;
    const dump = run(bin, ["-T"]);
    if (dump.code !== 0) return null;
    const facts = sshdFactsFromDump(dump.stdout);
    if (existsSync("/run/systemd/system") && commandPath("systemctl") !== null) {
        const unit = run("systemctl", ["show", "ssh.socket", "-p", "Listen"]);
        if (unit.code === 0) facts.ports = [...new Set([...facts.ports, ...socketUnitPorts(unit.stdout)])].sort((a, b) => a - b);
    }
    return facts;
}

/**
 * agent.json with sshd's facts: sshPorts becomes the given ports (the stack's, or the agent's
 * default 22) together with every port sshd listens on, and loginGraceSeconds sshd's
 * LoginGraceTime. Unchanged bytes when there is nothing to add.
 */
export function withSshdFacts(configBytes: Buffer, facts: SshdFacts | null): Buffer {
    if (facts === null || (facts.ports.length === 0 && facts.loginGraceSeconds === null)) return configBytes;
    const config = JSON.parse(configBytes.toString("utf8")) as Record<string, unknown>;
    const given = Array.isArray(config.sshPorts) ? (config.sshPorts as number[]) : [...agentConfigDefaults.sshPorts];
    const ports = [...new Set([...given, ...facts.ports])].sort((a, b) => a - b);
    const grace =
        facts.loginGraceSeconds === null ? config.loginGraceSeconds : Math.min(facts.loginGraceSeconds, agentConfigRanges.loginGraceSeconds.max);
    if (Array.isArray(config.sshPorts) && ports.length === given.length && config.loginGraceSeconds === grace) return configBytes;
    config.sshPorts = ports;
    if (grace !== undefined) config.loginGraceSeconds = grace;
    return Buffer.from(`${JSON.stringify(config)}\n`, "utf8");
}

/** The config to install: the given one with sshd's facts, and a line saying what was recorded. */
export function recordSshdFacts(configBytes: Buffer): Buffer {
    const facts = readSshdFacts();
    if (facts === null) {
        say("note: could not read sshd's effective settings (sshd -T); agent.json keeps the given sshPorts");
        return configBytes;
    }
    const out = withSshdFacts(configBytes, facts);
    const c = JSON.parse(out.toString("utf8")) as { sshPorts?: number[]; loginGraceSeconds?: number };
    say(
        `sshd: listens on ${facts.ports.join(", ") || "?"}; agent.json sshPorts ${(c.sshPorts ?? agentConfigDefaults.sshPorts).join(", ")}, loginGraceSeconds ${c.loginGraceSeconds ?? "default"}`,
    );
    return out;
}
