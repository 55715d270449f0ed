// Rehearsal of `pulumi up` / `pulumi destroy` on an adopted instance, with this machine as the
// instance: the real program (index.ts) runs under Pulumi's mocks, then the test does what
// pulumi-command would do with the recorded resources: CopyToRemote's `source` goes to its
// `remotePath` over real SFTP (pulumi-command's rules: a directory source without a trailing
// slash lands in remotePath/<basename>), and the Command's `create` (with its `stdin`) and
// later `delete` run over real SSH with the recorded `connection`. Nothing is mocked on the box.
//
// Needs root, openssh-server, openssh-client, sudo (see tests/agent/install.system.test.ts).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { startCloudWatchEndpoint, CloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { isWireSecret, RecordedResource, runProgram } from "../support/pulumi-mocks";
import { registerAdoptedInstance } from "../support/stack-configs";
import { CommandResult, sshClientOptions, useSshd, waitUntil } from "../support/sshd";
import { agentProcesses, assertNoInstallation, boxTempDir, forceUninstall, getent, REPO, snapshot, statOf, uidOf } from "./box";

const INSTANCE_ID = "i-0fedcba9876543210";

interface Connection {
    host: string;
    user: string;
    port: number;
    privateKey: string;
}

interface Push {
    release: string;
    copy: RecordedResource;
    command: RecordedResource;
    connection: Connection;
    source: string;
    remotePath: string;
    create: string;
    delete: string;
    stdin: string | undefined;
}

/**
 * agent/dist from the current sources, as `npm run build` makes it: the program under test
 * points its CopyToRemote at that directory.
 */
function build(): void {
    execFileSync(process.execPath, [join(REPO, "agent", "build.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
}

describe("rehearsal: the program's agent push, run for real over SSH (adopted instance)", function () {
    this.timeout(300000);
    const sshd = useSshd();
    let user = "";
    let home = "";
    let keyFile = "";
    let baseline: string[] = [];
    let cw: CloudWatchEndpoint | undefined;

    before(async () => {
        if (process.getuid?.() !== 0) throw new Error("the rehearsal runs as root (it creates users and installs into /opt, /etc, /var/lib)");
        assertNoInstallation();
        build();
        user = sshd().addUser({ sudo: true });
        home = (getent("passwd", user) ?? "").split(":")[5];
        cw = await startCloudWatchEndpoint();
        cw.enforceSignature = false; // the mocked access key is not the endpoint's test key
        keyFile = join(boxTempDir("idle-stop-rehearsal-"), "key");
        baseline = snapshot([home]);
    });

    after(async () => {
        forceUninstall();
        await cw?.close();
    });

    async function deploy(extra: Record<string, string> = {}): Promise<Push> {
        registerAdoptedInstance(INSTANCE_ID);
        const run = await runProgram({
            instanceId: INSTANCE_ID,
            sshHost: sshd().host,
            sshUser: user,
            sshPort: String(sshd().port),
            sshPrivateKey: readFileSync(sshd().keyPath, "utf8"),
            credentials: "iam-user",
            ...extra,
        });
        const copies = run.resources.filter((r) => r.type === "command:remote:CopyToRemote");
        const commands = run.resources.filter((r) => r.type === "command:remote:Command");
        assert.equal(copies.length, 1, "one CopyToRemote");
        assert.equal(commands.length, 1, "one remote Command");
        const [copy] = copies;
        const [command] = commands;
        // The private key reaches the resources only as a secret.
        assert.ok(
            isWireSecret((command.wireInputs.connection as Record<string, unknown>).privateKey) || isWireSecret(command.wireInputs.connection),
            "connection.privateKey is secret",
        );
        const connection = command.inputs.connection as Connection;
        // One target; only how long each keeps dialling differs (the command's bound keeps a
        // destroy of an unreachable box short; the copy waits for a booting instance).
        const withoutDial = (c: unknown): Record<string, unknown> => {
            const { dialErrorLimit: _limit, perDialTimeout: _timeout, ...rest } = c as Record<string, unknown>;
            return rest;
        };
        assert.deepEqual(
            withoutDial(copy.inputs.connection),
            withoutDial(command.inputs.connection),
            "copy and command connect to the same box as the same user",
        );
        const source = (copy.inputs.source as { path?: string }).path;
        assert.ok(source, `CopyToRemote source is a path archive: ${JSON.stringify(copy.inputs.source)}`);
        const remotePath = String(copy.inputs.remotePath);
        const release = /^\.idle-stop-(.+)$/.exec(remotePath)?.[1];
        assert.ok(release, `remotePath ${remotePath} is the release's staging dir`);
        return {
            release,
            copy,
            command,
            connection,
            source,
            remotePath,
            create: String(command.inputs.create),
            delete: String(command.inputs.delete),
            stdin: command.inputs.stdin === undefined ? undefined : String(command.inputs.stdin),
        };
    }

    function sshArgs(c: Connection): string[] {
        writeFileSync(keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        return sshClientOptions(keyFile);
    }

    /**
     * pulumi-command's CopyToRemote for a directory source (its sftpCopy + copyDir): a source
     * without a trailing slash lands in remotePath/<basename>; directories are created as needed
     * and every file is (over)written, one by one.
     */
    async function copyToRemote(p: Push): Promise<void> {
        const src = p.source.replace(/\/$/, "");
        const dest = p.source.endsWith("/") ? p.remotePath : `${p.remotePath}/${basename(src)}`;
        const lines = [`-mkdir ${p.remotePath}`, `-mkdir ${dest}`];
        const walk = (rel: string): void => {
            for (const e of readdirSync(join(src, rel), { withFileTypes: true })) {
                const r = rel ? `${rel}/${e.name}` : e.name;
                if (e.isDirectory()) {
                    lines.push(`-mkdir ${dest}/${r}`);
                    walk(r);
                } else {
                    lines.push(`put ${join(src, r)} ${dest}/${r}`);
                }
            }
        };
        walk("");
        const r = await sshd().runClient(
            "sftp",
            ["-b", "-", ...sshArgs(p.connection), "-P", String(p.connection.port), `${p.connection.user}@${p.connection.host}`],
            `${lines.join("\n")}\n`,
        );
        assert.equal(r.code, 0, `sftp: ${r.stderr}`);
    }

    /** pulumi-command's remote Command: one SSH session running the command, stdin piped. */
    function run(p: Push, cmd: string, stdin?: string): Promise<CommandResult> {
        return sshd().runClient(
            "ssh",
            [...sshArgs(p.connection), "-p", String(p.connection.port), `${p.connection.user}@${p.connection.host}`, cmd],
            stdin,
            240000,
        );
    }

    /** A create: the copy (when its inputs changed), then the install command. */
    async function up(p: Push, copy = true): Promise<string> {
        if (copy) await copyToRemote(p);
        const r = await run(p, p.create, p.stdin);
        assert.equal(r.code, 0, `create failed:\n${r.stdout}\n${r.stderr}`);
        return r.stderr;
    }

    let first: Push;

    it("records a push whose connection, source and commands fit the installer contract", async () => {
        first = await deploy();
        assert.equal(first.connection.host, "127.0.0.1");
        assert.equal(first.connection.user, user);
        assert.equal(Number(first.connection.port), sshd().port);
        assert.equal(basename(first.source.replace(/\/$/, "")), "dist");
        assert.match(first.create, /sudo -n sh \.idle-stop-[0-9a-f]+\/dist\/install\.sh --release [0-9a-f]+ --config-b64 \S+ --credentials-stdin/);
        assert.ok(first.stdin?.includes("aws_access_key_id"), "IAM-user credentials on stdin");
        assert.doesNotMatch(first.create, /aws_secret_access_key|mock-secret-access-key/, "the secret is not on the command line");
    });

    it("create installs the agent: files, credentials, daemon as idle-stop, idle-stop command for the user", async () => {
        const out = await up(first);
        assert.match(out, new RegExp(`release ${first.release} installed`));
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), first.release);
        const config = JSON.parse(readFileSync("/etc/idle-stop/agent.json", "utf8")) as Record<string, unknown>;
        assert.equal(config.instanceId, INSTANCE_ID);
        const cred = statOf("/etc/idle-stop/credentials");
        assert.equal(cred.mode, 0o600);
        assert.equal(cred.uid, uidOf("idle-stop"));
        assert.equal(readFileSync("/etc/idle-stop/credentials", "utf8"), first.stdin);
        const procs = await waitUntil(() => (agentProcesses().length === 1 ? agentProcesses() : false), 15000, "the agent daemon");
        assert.equal(procs[0].uid, uidOf("idle-stop"));
        const status = await sshd().ssh(user, "idle-stop status --json");
        assert.equal(status.code, 0, status.stderr);
        assert.equal((JSON.parse(status.stdout) as { config: { instanceId: string } }).config.instanceId, INSTANCE_ID);
        // The daemon (not just the CLI) counts this user's SSH session: a status it wrote after the
        // login shows at least one session (nothing else holds a session open here). The daemon
        // rewrites status.json when its counts change and at least once a publish period (60 s),
        // so one is due within 75 s even if other sessions on this machine ended meanwhile.
        const daemonView = (): { pid: number; sessions: number; updatedAt: string } | null => {
            try {
                return JSON.parse(readFileSync("/var/lib/idle-stop/status.json", "utf8")) as { pid: number; sessions: number; updatedAt: string };
            } catch {
                return null;
            }
        };
        const session = await sshd().openSession(user, { pty: true });
        const loggedInAt = Date.now();
        try {
            const seen = await waitUntil(
                () => {
                    const v = daemonView();
                    return v !== null && Date.parse(v.updatedAt) > loggedInAt ? v : false;
                },
                75000,
                "a daemon sample after the login",
            );
            assert.equal(seen.pid, procs[0].pid, "written by the installed daemon");
            assert.ok(seen.sessions >= 1, `the daemon counts the user's session: ${JSON.stringify(seen)}`);
        } finally {
            await session.close();
        }
        const hold = await sshd().ssh(user, "idle-stop hold 2h --reason rehearsal");
        assert.equal(hold.code, 0, hold.stderr);
    });

    it("running create again is harmless; the daemon then publishes with the pushed credentials", async () => {
        // What an operator would add for a VPC endpoint; kept by re-installs.
        writeFileSync("/etc/idle-stop/environment", `AWS_ENDPOINT_URL_CLOUDWATCH=${cw?.url}\nAWS_EC2_METADATA_DISABLED=true\n`);
        await up(first, false);
        assert.equal(agentProcesses().length, 1);
        const accessKey = /aws_access_key_id\s*=\s*(\S+)/.exec(first.stdin ?? "")?.[1];
        const dp = await waitUntil(
            () => cw?.datapoints().find((d) => d.dimensions.InstanceId === INSTANCE_ID && d.metricName === "ActiveSessions"),
            90000,
            "a datapoint from the installed agent",
        );
        // Minimum, not Maximum: the first period after a first start counts as in use anyway (the re-arm).
        assert.ok((dp.value ?? dp.statisticValues?.Minimum ?? 0) >= 1, "the hold (and the user's sessions) count");
        assert.ok(
            cw?.accepted("PutMetricData").some((q) => q.signature.accessKeyId === accessKey),
            "signed with the access key pushed on stdin",
        );
        const st = JSON.parse((await sshd().ssh(user, "idle-stop status --json")).stdout) as { holds: unknown[] };
        assert.equal(st.holds.length, 1, "the hold survived the re-install");
    });

    it("a changed stack replaces the release: new create, then the old delete leaves the new one alone", async () => {
        const second = await deploy({ idleMinutes: "9" });
        assert.notEqual(second.release, first.release);
        await up(second);
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), second.release);
        assert.match(readFileSync("/etc/profile.d/idle-stop.sh", "utf8"), /after 9 idle minutes/);
        const del = await run(first, first.delete);
        assert.equal(del.code, 0, del.stderr);
        assert.match(del.stderr, /leaving the newer installation alone/);
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), second.release);
        assert.equal(agentProcesses().length, 1);
        assert.ok(!existsSync(join(home, first.remotePath)));
        const st = JSON.parse((await sshd().ssh(user, "idle-stop status --json")).stdout) as { holds: unknown[] };
        assert.equal(st.holds.length, 1, "state (holds) kept across the replacement");
        first = second;
    });

    it("delete (pulumi destroy) removes everything; a second delete is harmless", async () => {
        const del = await run(first, first.delete);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(snapshot([home]), baseline);
        const again = await run(first, first.delete);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(snapshot([home]), baseline);
    });
});
