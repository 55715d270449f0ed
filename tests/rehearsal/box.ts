// Helpers for tests that install the agent for real on this machine (the "box") over real SSH:
// the payload as the deployment pushes it, sftp like pulumi-command, a snapshot of everything an
// installation may touch, forced cleanup, the running agent daemon, and a local Node.js mirror.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    lstatSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    readlinkSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CommandResult, SshdFixture } from "../support/sshd";

export const REPO = resolve(__dirname, "..", "..");
const INSTALL_SOURCE = join(REPO, "agent", "install");

const tempDirs: string[] = [];
process.on("exit", () => {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function boxTempDir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(d, 0o755);
    tempDirs.push(d);
    return d;
}

/**
 * The payload exactly as `npm run build` lays out agent/dist (bundle + everything in
 * agent/install/), built from the current sources into a temp dir. Returns the dist dir.
 */
export function buildPayload(): string {
    const dist = join(boxTempDir("idle-stop-payload-"), "dist");
    execFileSync(process.execPath, [join(REPO, "agent", "build.mjs"), "--outdir", dist], { stdio: ["ignore", "ignore", "inherit"] });
    return dist;
}

/** sftp/scp take the port as -P; the fixture's ssh options use -p. */
function sftpOptions(fx: SshdFixture): string[] {
    const o = fx.clientOptions();
    const i = o.indexOf("-p");
    return [...o.slice(0, i), "-P", o[i + 1], ...o.slice(i + 2)];
}

/** Copies a local directory to REMOTE_PATH (relative to the user's home) with real sftp. */
export async function sftpPutDir(fx: SshdFixture, user: string, localDir: string, remotePath: string): Promise<void> {
    const parent = remotePath.includes("/") ? remotePath.slice(0, remotePath.lastIndexOf("/")) : "";
    const batch = [...(parent ? [`-mkdir ${parent}`] : []), `put -r ${localDir} ${remotePath}`, ""].join("\n");
    const r = await fx.runClient("sftp", ["-b", "-", ...sftpOptions(fx), `${user}@${fx.host}`], batch);
    if (r.code !== 0) throw new Error(`sftp failed (${r.code}): ${r.stderr}`);
}

/**
 * Runs a shell command without blocking the event loop (servers of this process, such as the
 * Node.js mirror or the CloudWatch endpoint, keep answering meanwhile).
 */
export function shAsync(cmd: string, input?: string, timeoutMs = 300000): Promise<CommandResult> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn("sh", ["-c", cmd], { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolvePromise({ code, signal, stdout, stderr });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(input ?? "");
    });
}

export function sh(cmd: string, input?: string): CommandResult {
    const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", input, timeout: 300000 });
    return { code: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Everything an installation may create, so before/after snapshots can be compared. */
export const INSTALL_PATHS = [
    "/opt/idle-stop",
    "/etc/idle-stop",
    "/var/lib/idle-stop",
    "/var/log/idle-stop.log",
    "/usr/local/bin/idle-stop",
    "/etc/profile.d/idle-stop.sh",
    "/etc/cron.d/idle-stop",
    "/etc/systemd/system/idle-stop-agent.service",
    "/etc/systemd/system/multi-user.target.wants/idle-stop-agent.service",
    "/etc/ssh/sshd_config.d/60-idle-stop.conf",
];
const WATCHED_DIRS = [
    "/opt",
    "/etc",
    "/etc/cron.d",
    "/etc/profile.d",
    "/etc/ssh/sshd_config.d",
    "/etc/systemd/system",
    "/usr/local/bin",
    "/var/lib",
    "/var/log",
];

export function describePath(p: string): string {
    try {
        const st = lstatSync(p);
        const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? `link->${readlinkSync(p)}` : "file";
        return `${p} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    } catch {
        return `${p} absent`;
    }
}

/** A comparable description of the machine state an installation could change. */
/**
 * The files useradd/userdel hold for a moment while they change the user database
 * (passwd.lock, subuid.lock, passwd.<pid>, passwd+ ...): the integration tier creates test users
 * while this tier runs, so they come and go in /etc independently of the installer.
 */
const USER_DB_TRANSIENT = /^(passwd|group|shadow|gshadow|subuid|subgid)(\.lock|\.\d+|\+)$/;

export function snapshot(homeDirs: string[] = []): string[] {
    const out: string[] = [];
    for (const p of INSTALL_PATHS) out.push(describePath(p));
    for (const d of WATCHED_DIRS) {
        const names = existsSync(d)
            ? readdirSync(d)
                  .filter((n) => !n.startsWith("idle-stop-sshd-") && !USER_DB_TRANSIENT.test(n))
                  .sort()
            : [];
        out.push(`${d}: ${names.join(" ")}`);
    }
    // Staging directories in the SSH user's home (shell history and the like are not ours).
    for (const h of homeDirs)
        out.push(
            `${h}: ${
                existsSync(h)
                    ? readdirSync(h)
                          .filter((n) => n.startsWith(".idle-stop"))
                          .sort()
                          .join(" ")
                    : "absent"
            }`,
        );
    out.push(
        `tmp: ${readdirSync(tmpdir())
            .filter((n) => /^idle-stop-(install|node|uninstall)\./.test(n))
            .join(" ")}`,
    );
    out.push(`passwd idle-stop: ${getent("passwd", "idle-stop") ?? "absent"}`);
    out.push(`group idle-stop: ${getent("group", "idle-stop") ?? "absent"}`);
    out.push(
        `processes: ${agentProcesses()
            .map((p) => p.pid)
            .join(" ")}`,
    );
    return out;
}

export function getent(db: string, key: string): string | undefined {
    const r = spawnSync("getent", [db, key], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

export function uidOf(user: string): number {
    return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}

export interface ProcInfo {
    pid: number;
    uid: number;
    cmdline: string[];
}

/** Running agent daemons of an installation (`/opt/idle-stop/idle-stop-agent.js run`). */
export function agentProcesses(): ProcInfo[] {
    const out: ProcInfo[] = [];
    for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8")
                .split("\0")
                .filter((s) => s !== "");
            if (!cmdline.includes("/opt/idle-stop/idle-stop-agent.js")) continue;
            const uidLine =
                readFileSync(`/proc/${name}/status`, "utf8")
                    .split("\n")
                    .find((l) => l.startsWith("Uid:")) ?? "";
            out.push({ pid: Number(name), uid: Number(uidLine.split(/\s+/)[1]), cmdline });
        } catch {
            /* exited */
        }
    }
    return out;
}

/** mode, uid, gid of a path (not following symlinks). */
export function statOf(p: string): { mode: number; uid: number; gid: number; isDir: boolean } {
    const st = statSync(p);
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, isDir: st.isDirectory() };
}

/**
 * Removes any installation (whatever state a failed test left) with the installed uninstaller,
 * else the source one; then makes sure no agent process survives.
 */
export function forceUninstall(): void {
    const installed = "/opt/idle-stop/uninstall.sh";
    const script = existsSync(installed) ? installed : join(INSTALL_SOURCE, "uninstall.sh");
    sh(`sh ${script} </dev/null >/dev/null 2>&1`);
    for (const p of agentProcesses()) {
        try {
            process.kill(p.pid, "SIGKILL");
        } catch {
            /* gone */
        }
    }
}

/** Fails clearly when this machine already has an installation the tests would clobber. */
export function assertNoInstallation(): void {
    for (const p of ["/opt/idle-stop", "/etc/idle-stop", "/var/lib/idle-stop"]) {
        if (existsSync(p)) {
            throw new Error(
                `${p} exists: this machine has an idle-stop installation; the install tests would replace it (remove it with sudo sh /opt/idle-stop/uninstall.sh)`,
            );
        }
    }
    if (getent("passwd", "idle-stop")) throw new Error("user idle-stop exists already; the install tests need a machine without it");
}

function nodeArch(): string {
    const m = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim();
    return m === "aarch64" || m === "arm64" ? "arm64" : "x64";
}

export interface NodeMirror {
    url: string;
    requests: string[];
    close(): Promise<void>;
}

/**
 * A Node.js distribution mirror on 127.0.0.1: latest-v22.x/SHASUMS256.txt and a tarball
 * node-vVERSION-linux-ARCH.tar.gz whose bin/node is a small script that reports VERSION for
 * --version and runs the real node (REAL_NODE) otherwise. With wrongChecksum, SHASUMS256.txt
 * lists a checksum that does not match the tarball.
 */
export async function startNodeMirror(opts: { version?: string; realNode: string; wrongChecksum?: boolean }): Promise<NodeMirror> {
    const version = opts.version ?? "v22.99.0";
    const arch = nodeArch();
    const work = boxTempDir("idle-stop-mirror-");
    const base = `node-${version}-linux-${arch}`;
    mkdirSync(join(work, base, "bin"), { recursive: true });
    writeFileSync(
        join(work, base, "bin", "node"),
        [
            "#!/bin/sh",
            `case \${1:-} in --version | -v) echo ${version}; exit 0 ;; esac`,
            `for n in ${opts.realNode} /usr/bin/node /usr/local/bin/node; do`,
            '    if [ -x "$n" ] && [ -s "$n" ]; then exec "$n" "$@"; fi',
            "done",
            'echo "fake node: no real node to run" >&2',
            "exit 127",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    writeFileSync(join(work, base, "README.md"), "fake Node.js distribution for idle-stop tests\n");
    const tarball = `${base}.tar.gz`;
    execFileSync("tar", ["-czf", join(work, tarball), "-C", work, base]);
    const body = readFileSync(join(work, tarball));
    let sum = createHash("sha256").update(body).digest("hex");
    if (opts.wrongChecksum) sum = sum.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const other = "0".repeat(64);
    const sums = [
        `${other}  node-${version}-darwin-arm64.tar.gz`,
        `${other}  node-${version}-linux-${arch}.tar.xz`,
        `${sum}  ${tarball}`,
        `${other}  node-${version}-win-x64.zip`,
        "",
    ].join("\n");
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        requests.push(req.url ?? "");
        if (req.url === "/dist/latest-v22.x/SHASUMS256.txt") {
            res.writeHead(200, { "content-type": "text/plain" }).end(sums);
        } else if (req.url === `/dist/latest-v22.x/${tarball}`) {
            res.writeHead(200, { "content-type": "application/gzip" }).end(body);
        } else {
            res.writeHead(404).end("not found");
        }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/dist`,
        requests,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}

/** Node binaries on the standard PATH directories (what the installer would find). */
export function systemNodes(): string[] {
    return ["/usr/local/bin/node", "/usr/bin/node", "/bin/node"].filter((p) => {
        try {
            return (statSync(p).mode & 0o111) !== 0;
        } catch {
            return false;
        }
    });
}
