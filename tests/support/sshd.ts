// A real OpenSSH server for tests: `/usr/sbin/sshd -D -e -f <cfg>` on 127.0.0.1, a free high
// port, its own host key, config, authorized_keys directory and client key. Nothing touches the
// machine's own sshd, host keys or ~/.ssh. Test users get unique names and are removed again.
//
//   const sshd = useSshd();                 // in a describe(): before/after hooks start/stop it
//   const alice = sshd().addUser({ sudo: true });
//   await sshd().ssh(alice, "id -un");      // { code, stdout, stderr }
//   const s = await sshd().openSession(alice, { pty: true });   // long-lived, s.close()
//
// Or without mocha hooks: `const f = await startSshd(); ... await f.stop();`.
// Everything a fixture created is also removed from a process "exit" handler, so a failing or
// interrupted test run leaves no sshd, users, sudoers files or temp dirs behind.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SSHD_BINARY = "/usr/sbin/sshd";
/** Users whose name starts with this may try password logins (which always fail: no user has a password). */
export const PASSWORD_PROBE_PREFIX = "idlestop-pw";

export interface CommandResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/**
 * Collects a child's stdout and stderr until it closes; `kill` runs when it outlives timeoutMs.
 * The one spawn-and-wait used by the ssh clients, the agent CLI and the laptop command in tests.
 */
export function collectResult(child: ChildProcess, timeoutMs: number, kill: () => void = () => child.kill("SIGKILL")): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(kill, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
    });
}

export interface SshOptions {
    /** stdin for the remote command. */
    input?: string | Buffer;
    /** Kill the client after this many ms (default 60000). */
    timeoutMs?: number;
    /** Extra `ssh` arguments placed before the destination. */
    extraArgs?: string[];
    /** Use this private key instead of the fixture's authorized one. */
    keyPath?: string;
}

export interface SessionOptions {
    /** true: `ssh -tt` (pts), false: `ssh -T` (notty). Default true. */
    pty?: boolean;
    /** Remote command; default: an interactive login shell (pty) or `exec sleep 86400` (notty). */
    command?: string;
    /** Extra `ssh` arguments placed before the destination. */
    extraArgs?: string[];
}

/** A long-lived SSH client process whose remote side is up (ready marker seen). */
export interface Session {
    readonly user: string;
    readonly child: ChildProcess;
    /** Everything the client printed so far (stdout+stderr). */
    output(): string;
    /** Write to the remote side's stdin. */
    write(data: string): void;
    /** Wait until the output matches. */
    waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
    /** Kill the client (SIGTERM, then SIGKILL) and wait for it to exit. */
    close(): Promise<void>;
}

export interface Multiplexed {
    readonly user: string;
    readonly controlPath: string;
    readonly master: ChildProcess;
    /** Open one more channel over the master connection (no new TCP connection, no new auth). */
    channel(opts?: SessionOptions): Promise<Session>;
    /** Close all channels and the master. */
    close(): Promise<void>;
}

export interface AddUserOptions {
    /** Add /etc/sudoers.d/<name> with `NAME ALL=(ALL) NOPASSWD:ALL`. */
    sudo?: boolean;
    /** Name prefix (default `ist`); a random suffix is appended. */
    prefix?: string;
    /** Do not authorize the fixture's client key for this user. */
    noKey?: boolean;
}

export interface StartOptions {
    /** Additional sshd_config lines (placed before the Match block). */
    extraConfig?: string[];
}

interface Tracked {
    sshd?: ChildProcess;
    dir: string;
    users: string[];
    sudoers: string[];
    clients: Set<ChildProcess>;
    sockets: Set<net.Socket>;
}

const live = new Set<Tracked>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
    if (exitHandlerInstalled) return;
    exitHandlerInstalled = true;
    process.on("exit", () => {
        for (const t of [...live]) cleanupSync(t);
    });
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.once(sig, () => {
            for (const t of [...live]) cleanupSync(t);
            process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
        });
    }
}

function parentOf(pid: number): number | null {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(rest[1]);
    } catch {
        return null;
    }
}

/** All live descendants of pid (from /proc), deepest last. */
export function descendantsOf(root: number): number[] {
    const children = new Map<number, number[]>();
    for (const name of readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        const pid = Number(name);
        const ppid = parentOf(pid);
        if (ppid === null) continue;
        const list = children.get(ppid) ?? [];
        list.push(pid);
        children.set(ppid, list);
    }
    const out: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
        const p = queue.shift() as number;
        for (const c of children.get(p) ?? []) {
            out.push(c);
            queue.push(c);
        }
    }
    return out;
}

function killQuiet(pid: number | undefined, sig: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
        process.kill(pid, sig);
    } catch {
        /* already gone */
    }
}

function cleanupSync(t: Tracked): void {
    for (const s of t.sockets) s.destroy();
    for (const c of t.clients) killQuiet(c.pid, "SIGKILL");
    if (t.sshd?.pid !== undefined) {
        // Per-connection sshd processes outlive the listener: end them too (they are ours).
        for (const pid of descendantsOf(t.sshd.pid)) killQuiet(pid, "SIGKILL");
        killQuiet(t.sshd.pid, "SIGKILL");
    }
    for (const u of t.users) removeUser(u);
    for (const f of t.sudoers) rmSync(f, { force: true });
    rmSync(t.dir, { recursive: true, force: true });
    live.delete(t);
}

function removeUser(name: string): void {
    // Processes still running as this user were started by the test (its ssh sessions).
    const r = spawnSync("ps", ["-o", "pid=", "-u", name], { encoding: "utf8" });
    for (const line of (r.stdout ?? "").split("\n")) {
        const pid = Number(line.trim());
        if (pid > 0) killQuiet(pid, "SIGKILL");
    }
    spawnSync("userdel", ["-r", "-f", name], { stdio: "ignore" });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            const port = typeof addr === "object" && addr !== null ? addr.port : 0;
            srv.close(() => resolve(port));
        });
    });
}

function randomSuffix(): string {
    return Math.random().toString(36).slice(2, 8);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Poll fn every `everyMs` until it returns a value other than undefined/false, or throw after timeoutMs. */
export async function waitUntil<T>(
    fn: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 15000,
    what = "condition",
    everyMs = 100,
): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(everyMs);
    }
}

/** True when something on 127.0.0.1:port answers with an SSH banner. */
export function sshBanner(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const sock = net.connect({ host: "127.0.0.1", port });
        let buf = "";
        const done = (ok: boolean): void => {
            sock.destroy();
            resolve(ok);
        };
        sock.setTimeout(2000, () => done(false));
        sock.on("data", (d) => {
            buf += d.toString("latin1");
            if (buf.includes("SSH-2.0-")) done(true);
        });
        sock.on("error", () => done(false));
        sock.on("close", () => done(buf.includes("SSH-2.0-")));
    });
}

/** ssh options for a test client: no user config, no agent, no host key checks, this key only. */
export function sshClientOptions(keyPath: string): string[] {
    return [
        "-F",
        "/dev/null",
        "-i",
        keyPath,
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
    ];
}

export class SshdFixture {
    readonly host = "127.0.0.1";
    port = 0;
    /** Fixture temp dir (config, host key, client key, authorized_keys/, log). */
    readonly dir: string;
    /** Private key authorized for root and every user made by addUser(). */
    readonly keyPath: string;
    /** A private key that is authorized for nobody (for failed logins). */
    readonly wrongKeyPath: string;
    readonly configPath: string;
    readonly logPath: string;
    readonly authorizedKeysDir: string;
    private readonly t: Tracked;
    private pubKey = "";

    constructor() {
        installExitHandler();
        this.dir = mkdtempSync(join(tmpdir(), "idle-stop-sshd-"));
        chmodSync(this.dir, 0o755);
        this.keyPath = join(this.dir, "client_ed25519");
        this.wrongKeyPath = join(this.dir, "wrong_ed25519");
        this.configPath = join(this.dir, "sshd_config");
        this.logPath = join(this.dir, "sshd.log");
        this.authorizedKeysDir = join(this.dir, "authorized_keys");
        this.t = { dir: this.dir, users: [], sudoers: [], clients: new Set(), sockets: new Set() };
        live.add(this.t);
    }

    /** Generate keys, write the config and start sshd; resolves when it answers with a banner. */
    async start(opts: StartOptions = {}): Promise<this> {
        mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
        mkdirSync(this.authorizedKeysDir, { mode: 0o755 });
        const hostKey = join(this.dir, "ssh_host_ed25519_key");
        for (const k of [hostKey, this.keyPath, this.wrongKeyPath]) {
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "idle-stop-test", "-f", k]);
        }
        this.pubKey = readFileSync(`${this.keyPath}.pub`, "utf8").trim();
        this.authorize("root");

        let lastErr = "";
        for (let attempt = 0; attempt < 5; attempt++) {
            this.port = await freePort();
            writeFileSync(this.configPath, this.config(hostKey, opts.extraConfig ?? []), { mode: 0o600 });
            const check = spawnSync(SSHD_BINARY, ["-t", "-f", this.configPath], { encoding: "utf8" });
            if (check.status !== 0) throw new Error(`sshd -t rejected the test config: ${check.stderr}`);
            const child = spawn(SSHD_BINARY, ["-D", "-e", "-f", this.configPath], { stdio: ["ignore", "ignore", "pipe"] });
            this.t.sshd = child;
            let log = "";
            child.stderr?.on("data", (d: Buffer) => {
                log += d.toString();
                try {
                    writeFileSync(this.logPath, d, { flag: "a" });
                } catch {
                    /* dir removed during shutdown */
                }
            });
            let exited = false;
            child.on("exit", () => {
                exited = true;
            });
            const end = Date.now() + 10000;
            while (Date.now() < end && !exited) {
                if (await sshBanner(this.port)) return this;
                await sleep(50);
            }
            lastErr = log;
            killQuiet(child.pid, "SIGKILL");
            this.t.sshd = undefined;
        }
        throw new Error(`sshd did not start: ${lastErr}`);
    }

    private config(hostKey: string, extra: string[]): string {
        return [
            `ListenAddress 127.0.0.1:${this.port}`,
            `HostKey ${hostKey}`,
            `PidFile ${join(this.dir, "sshd.pid")}`,
            `AuthorizedKeysFile ${this.authorizedKeysDir}/%u`,
            "AuthorizedPrincipalsFile none",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            // No PAM: containers without systemd/loginuid make PAM sessions fail; users get
            // password '*' (not locked) so non-PAM sshd lets them in with a key.
            "UsePAM no",
            "StrictModes no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "LogLevel VERBOSE",
            "LoginGraceTime 60",
            "MaxStartups 100:30:200",
            "MaxSessions 20",
            "AllowTcpForwarding yes",
            "X11Forwarding no",
            "Subsystem sftp internal-sftp",
            ...extra,
            // Password logins exist only to produce failing logins that stay pre-auth for a while.
            `Match User ${PASSWORD_PROBE_PREFIX}*`,
            "    PasswordAuthentication yes",
            "",
        ].join("\n");
    }

    /** Authorize the fixture client key for an existing account. */
    authorize(user: string): void {
        writeFileSync(join(this.authorizedKeysDir, user), `${this.pubKey}\n`, { mode: 0o644 });
    }

    /** Create a unique local user (home dir, bash, key authorized); removed by stop(). */
    addUser(opts: AddUserOptions = {}): string {
        const name = `${opts.prefix ?? "ist"}${randomSuffix()}`.slice(0, 31);
        execFileSync("useradd", ["-m", "-s", "/bin/bash", "-p", "*", name], { stdio: "pipe" });
        this.t.users.push(name);
        if (!opts.noKey) this.authorize(name);
        if (opts.sudo) {
            const file = `/etc/sudoers.d/${name}`;
            writeFileSync(file, `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
            this.t.sudoers.push(file);
        }
        return name;
    }

    /** Remove a user made by addUser() now (kills its processes). */
    removeUser(name: string): void {
        removeUser(name);
        this.t.users = this.t.users.filter((u) => u !== name);
        const file = `/etc/sudoers.d/${name}`;
        rmSync(file, { force: true });
        rmSync(join(this.authorizedKeysDir, name), { force: true });
    }

    /** Common client options (no user config, no agent, no host key checks). */
    clientOptions(keyPath = this.keyPath): string[] {
        return [...sshClientOptions(keyPath), "-p", String(this.port)];
    }

    /** Full argv (without "ssh") for `ssh USER@host COMMAND`. */
    sshArgs(user: string, command?: string, extra: string[] = []): string[] {
        return [...this.clientOptions(), ...extra, `${user}@${this.host}`, ...(command === undefined ? [] : [command])];
    }

    /** Run a command over real ssh and collect its output. */
    ssh(user: string, command: string, opts: SshOptions = {}): Promise<CommandResult> {
        const args = [...this.clientOptions(opts.keyPath), ...(opts.extraArgs ?? []), `${user}@${this.host}`, command];
        return this.runClient("ssh", args, opts.input, opts.timeoutMs ?? 60000);
    }

    /** Run any client binary (ssh, sftp, scp ...) tracked for cleanup. */
    runClient(
        bin: string,
        args: string[],
        input?: string | Buffer,
        timeoutMs = 60000,
        spawnOptions: { env?: NodeJS.ProcessEnv; detached?: boolean } = {},
    ): Promise<CommandResult> {
        const child = spawn(bin, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"] });
        this.t.clients.add(child);
        child.stdin.on("error", () => undefined);
        child.stdin.end(input ?? "");
        return collectResult(child, timeoutMs, () => killQuiet(child.pid, "SIGKILL")).finally(() => this.t.clients.delete(child));
    }

    private startSession(user: string, args: string[], opts: SessionOptions): Promise<Session> {
        const pty = opts.pty ?? true;
        // The marker is split in the command so a pty's echo of the typed line cannot match it.
        const marker = `__IDLE_STOP_READY_${randomSuffix()}__`;
        const half = marker.length >> 1;
        const typed = `echo ${marker.slice(0, half)}""${marker.slice(half)}`;
        let command = opts.command;
        let interactive = false;
        if (command === undefined) {
            if (pty) interactive = true;
            else command = `${typed}; exec sleep 86400`;
        } else {
            command = `${typed}; ${command}`;
        }
        const full = [
            ...args,
            ...(pty ? ["-tt"] : ["-T"]),
            ...(opts.extraArgs ?? []),
            `${user}@${this.host}`,
            ...(command === undefined ? [] : [command]),
        ];
        const child = spawn("ssh", full, { stdio: ["pipe", "pipe", "pipe"] });
        this.t.clients.add(child);
        let out = "";
        let exited = false;
        child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
        child.stdin?.on("error", () => undefined);
        const exitPromise = new Promise<void>((r) =>
            child.on("exit", () => {
                exited = true;
                this.t.clients.delete(child);
                r();
            }),
        );
        const session: Session = {
            user,
            child,
            output: () => out,
            write: (data) => {
                child.stdin?.write(data);
            },
            waitFor: async (pattern, timeoutMs = 20000) => {
                await waitUntil(() => pattern.test(out) || (exited ? "exited" : false), timeoutMs, `${pattern} from ssh ${user}`);
                if (!pattern.test(out)) throw new Error(`ssh ${user} exited before ${pattern}: ${out}`);
            },
            close: async () => {
                if (!exited) {
                    killQuiet(child.pid, "SIGTERM");
                    const t = setTimeout(() => killQuiet(child.pid, "SIGKILL"), 3000);
                    await exitPromise;
                    clearTimeout(t);
                }
            },
        };
        if (interactive) session.write(`${typed}\n`);
        return session
            .waitFor(new RegExp(`(^|[\\n\\r])${marker}\\r?\\n`))
            .then(() => session)
            .catch(async (e: unknown) => {
                await session.close();
                throw e;
            });
    }

    /** A long-lived session: pty (`sshd: USER@pts/N`) or notty (`sshd: USER@notty`). */
    openSession(user: string, opts: SessionOptions = {}): Promise<Session> {
        return this.startSession(user, this.clientOptions(), opts);
    }

    /** One TCP connection + authentication (ControlMaster) carrying several channels. */
    async openMultiplexed(user: string): Promise<Multiplexed> {
        const controlPath = join(this.dir, `mux-${randomSuffix()}`);
        const muxOpts = ["-o", `ControlPath=${controlPath}`];
        const master = spawn(
            "ssh",
            [...this.clientOptions(), ...muxOpts, "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-N", `${user}@${this.host}`],
            {
                stdio: ["ignore", "ignore", "pipe"],
            },
        );
        this.t.clients.add(master);
        let masterErr = "";
        master.stderr?.on("data", (d: Buffer) => (masterErr += d.toString()));
        let masterExited = false;
        const masterExit = new Promise<void>((r) =>
            master.on("exit", () => {
                masterExited = true;
                this.t.clients.delete(master);
                r();
            }),
        );
        await waitUntil(
            async () => {
                if (masterExited) throw new Error(`ControlMaster exited: ${masterErr}`);
                if (!existsSync(controlPath)) return false;
                const r = await this.runClient("ssh", [...this.clientOptions(), ...muxOpts, "-O", "check", `${user}@${this.host}`], undefined, 5000);
                return r.code === 0;
            },
            20000,
            "ControlMaster socket",
        );
        const channels: Session[] = [];
        return {
            user,
            controlPath,
            master,
            channel: async (opts: SessionOptions = {}) => {
                // ControlMaster=no: must go through the existing master, never a new connection.
                const s = await this.startSession(user, [...this.clientOptions(), ...muxOpts, "-o", "ControlMaster=no"], { pty: false, ...opts });
                channels.push(s);
                return s;
            },
            close: async () => {
                for (const c of channels) await c.close();
                if (!masterExited) {
                    await this.runClient("ssh", [...this.clientOptions(), ...muxOpts, "-O", "exit", `${user}@${this.host}`], undefined, 5000);
                    const t = setTimeout(() => killQuiet(master.pid, "SIGKILL"), 3000);
                    await masterExit;
                    clearTimeout(t);
                }
            },
        };
    }

    /**
     * A TCP connection that never authenticates (a scanner). With sendBanner the client also
     * sends its version string, moving the server further into the pre-auth handshake.
     */
    async rawConnection(opts: { sendBanner?: boolean } = {}): Promise<net.Socket> {
        const sock = net.connect({ host: this.host, port: this.port });
        this.t.sockets.add(sock);
        sock.on("close", () => this.t.sockets.delete(sock));
        sock.on("error", () => undefined);
        await new Promise<void>((resolve, reject) => {
            let buf = "";
            const onData = (d: Buffer): void => {
                buf += d.toString("latin1");
                if (buf.includes("\n")) {
                    sock.off("data", onData);
                    if (opts.sendBanner) sock.write("SSH-2.0-scanner_0.1\r\n");
                    resolve();
                }
            };
            sock.on("data", onData);
            sock.once("error", reject);
        });
        return sock;
    }

    /**
     * A login that fails. Without holdMs: public-key login with a key nobody authorized (fails
     * at once). With holdMs: a password login (user must start with PASSWORD_PROBE_PREFIX, may
     * not exist) whose password prompt answers only after holdMs, so the server sits in the
     * pre-auth state (`sshd: USER [priv]`/`[net]`) meanwhile; the password is always wrong.
     */
    async failedLogin(user: string, opts: { holdMs?: number } = {}): Promise<CommandResult> {
        if (!opts.holdMs) {
            return this.runClient("ssh", [...this.clientOptions(this.wrongKeyPath), `${user}@${this.host}`, "true"], undefined, 30000);
        }
        if (!user.startsWith(PASSWORD_PROBE_PREFIX)) throw new Error(`password probes need a user starting with ${PASSWORD_PROBE_PREFIX}`);
        const askpass = join(this.dir, `askpass-${randomSuffix()}`);
        writeFileSync(askpass, `#!/bin/sh\nsleep ${(opts.holdMs / 1000).toFixed(3)}\necho wrong-password\n`, { mode: 0o755 });
        const args = [
            "-F",
            "/dev/null",
            "-p",
            String(this.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "IdentityAgent=none",
            "-o",
            "LogLevel=ERROR",
            `${user}@${this.host}`,
            "true",
        ];
        return this.runClient("ssh", args, undefined, opts.holdMs + 30000, {
            env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" },
            detached: true, // no controlling tty: ssh must use SSH_ASKPASS
        });
    }

    /** Stop everything this fixture started or created. Safe to call twice. */
    async stop(): Promise<void> {
        // The sessions' processes first: once its client is gone, sshd ends the connection and a
        // notty session's command (`sleep 86400`) is left to init, out of cleanupSync's reach.
        if (this.t.sshd?.pid !== undefined) for (const pid of descendantsOf(this.t.sshd.pid)) killQuiet(pid, "SIGKILL");
        for (const s of this.t.sockets) s.destroy();
        for (const c of this.t.clients) killQuiet(c.pid, "SIGTERM");
        await sleep(100);
        cleanupSync(this.t);
    }

    /** sshd's own log so far (useful in assertion messages). */
    log(): string {
        try {
            return readFileSync(this.logPath, "utf8");
        } catch {
            return "";
        }
    }

    get pid(): number | undefined {
        return this.t.sshd?.pid;
    }
}

export async function startSshd(opts: StartOptions = {}): Promise<SshdFixture> {
    const f = new SshdFixture();
    try {
        return await f.start(opts);
    } catch (e) {
        await f.stop();
        throw e;
    }
}

/** Mocha helper: starts an sshd in before() and stops it in after() of the calling describe. */
export function useSshd(opts: StartOptions = {}): () => SshdFixture {
    let fixture: SshdFixture | undefined;
    before(async function () {
        this.timeout(60000);
        fixture = await startSshd(opts);
    });
    after(async () => {
        await fixture?.stop();
        fixture = undefined;
    });
    return () => {
        if (!fixture) throw new Error("sshd fixture not started (use inside the describe that called useSshd)");
        return fixture;
    };
}
