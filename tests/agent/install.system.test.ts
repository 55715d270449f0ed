// agent/install/install.sh and uninstall.sh, run for real on this machine: the payload is copied
// with real sftp to ~/<stagingDir>/dist/ and the exact commands of components/agent-commands.ts
// run over real ssh (tests/support/sshd.ts) as a non-root user with passwordless sudo, the way
// pulumi-command does. The agent daemon publishes to a local CloudWatch endpoint.
//
// Needs root (creates users, writes /opt, /etc, /var/lib) and the packages openssh-server,
// openssh-client, sudo; systemd-analyze (package systemd) for the unit check.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installCommand, stagingDir, uninstallCommand } from "../../components/agent-commands";
import { CloudWatchEndpoint, startCloudWatchEndpoint, TEST_CREDENTIALS } from "../support/cloudwatch-endpoint";
import { serviceNodeFlags } from "../support/service-flags";
import { Session, useSshd, waitUntil } from "../support/sshd";
import {
    agentProcesses,
    assertNoInstallation,
    boxTempDir,
    buildPayload,
    describePath,
    forceUninstall,
    INSTALL_PATHS,
    shAsync,
    getent,
    NodeMirror,
    sftpPutDir,
    sh,
    snapshot,
    startNodeMirror,
    statOf,
    systemNodes,
    uidOf,
} from "../rehearsal/box";

const INSTANCE_ID = "i-0123456789abcdef0";
const R1 = "t1a2b3c4d5e6";
const R2 = "t2f6e5d4c3b2";
const CREDENTIALS = `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`;
const NOTICE = /idle-stop: this machine stops after (\d+) idle minutes? with no SSH session; 'idle-stop hold 2h' keeps it awake\./g;

/**
 * The original rule (a connected session is enough) with the busy-work signals off: the notice
 * then reads "with no SSH session" (NOTICE), and other work on this machine cannot count.
 */
const ORIGINAL_RULE = { sessionIdleSeconds: 0, busyProcessPercent: 0, busyGpuPercent: 0, transferBytesPerMinute: 0 };

/** The system sshd's ports and LoginGraceTime as `sshd -T` prints them (what the installer records in agent.json). */
function systemSshd(): { ports: number[]; loginGraceSeconds: number } {
    const dump = execFileSync("/usr/sbin/sshd", ["-T"], { encoding: "utf8" });
    const ports = [...dump.matchAll(/^(?:port (\d+)|listenaddress \S*:(\d+))$/gm)].map((m) => Number(m[1] ?? m[2]));
    return { ports: [...new Set(ports)].sort((a, b) => a - b), loginGraceSeconds: Number(/^logingracetime (\d+)$/m.exec(dump)?.[1]) };
}

/** The config the deployment passes; by default with the system sshd's facts already in it, so the installer adds nothing. */
function agentConfig(
    idleMinutes: number,
    signals: Record<string, number> = ORIGINAL_RULE,
    sshd: Record<string, unknown> = { sshPorts: systemSshd().ports, loginGraceSeconds: systemSshd().loginGraceSeconds },
): string {
    return JSON.stringify({
        instanceId: INSTANCE_ID,
        region: TEST_CREDENTIALS.region,
        namespace: "IdleStop",
        metricName: "ActiveSessions",
        sampleSeconds: 1,
        publishSeconds: 2,
        idleMinutes,
        ...signals,
        ...sshd,
    });
}

function b64(s: string): string {
    return Buffer.from(s, "utf8").toString("base64");
}

function installedPaths(): string[] {
    return INSTALL_PATHS.map(describePath);
}

describe("agent installer over real SSH (install.sh / uninstall.sh)", function () {
    this.timeout(300000);
    const sshd = useSshd();
    let user = "";
    let home = "";
    let payload = "";
    let cw: CloudWatchEndpoint | undefined;
    let baseline: string[] = [];
    let openSessions: Session[] = [];

    before(async function () {
        if (process.getuid?.() !== 0) throw new Error("the installer tests run as root (they create users and write /opt, /etc, /var/lib)");
        assertNoInstallation();
        payload = buildPayload();
        user = sshd().addUser({ sudo: true });
        home = (getent("passwd", user) ?? "").split(":")[5];
        cw = await startCloudWatchEndpoint();
        baseline = snapshot([home]);
    });

    afterEach(async () => {
        for (const s of openSessions) await s.close();
        openSessions = [];
    });

    after(async () => {
        forceUninstall();
        await cw?.close();
    });

    async function ssh(command: string, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
        return sshd().ssh(user, command, { input, timeoutMs: 240000 });
    }

    async function push(release: string): Promise<void> {
        await sftpPutDir(sshd(), user, payload, `${stagingDir(release)}/dist`);
    }

    async function install(
        release: string,
        idleMinutes: number,
        extra: { clientAlive?: number; signals?: Record<string, number>; sshd?: Record<string, unknown> } = {},
    ): Promise<string> {
        const cmd = installCommand({
            release,
            agentConfigJson: agentConfig(idleMinutes, extra.signals, extra.sshd),
            credentialsOnStdin: true,
            clientAliveIntervalSeconds: extra.clientAlive,
            clientAliveCountMax: extra.clientAlive === undefined ? undefined : 4,
        });
        const r = await ssh(cmd, CREDENTIALS);
        assert.equal(r.code, 0, `install ${release} failed:\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, new RegExp(`idle-stop install: release ${release} installed`));
        return r.stderr;
    }

    it("rejects bad arguments with a clear message before changing anything", async () => {
        const installer = join(payload, "install.sh");
        const cfg = b64(agentConfig(15));
        const beforePaths = installedPaths();
        const cases: Array<{ args: string; input?: string; code: number; message: RegExp }> = [
            { args: "", code: 2, message: /idle-stop install: --release is required/ },
            { args: `--release ${R1}`, code: 2, message: /--config-b64 is required/ },
            { args: `--release ${R1} --config-b64 ${cfg} --bogus`, code: 2, message: /unknown argument: --bogus/ },
            { args: `--release ${R1} --config-b64`, code: 2, message: /--config-b64 needs a value/ },
            { args: `--release 'a b' --config-b64 ${cfg}`, code: 2, message: /--release must be/ },
            {
                args: `--release ${R1} --config-b64 ${cfg} --client-alive-interval soon`,
                code: 2,
                message: /--client-alive-interval must be a positive number/,
            },
            { args: `--release ${R1} --config-b64 ${b64("[1,2]")}`, code: 1, message: /does not decode to a JSON object/ },
            {
                args: `--release ${R1} --config-b64 ${b64('{"instanceId": "i-0123456789abcdef0", "stateDir": "/srv/x"}')}`,
                code: 1,
                message: /stateDir must be \/var\/lib\/idle-stop/,
            },
            {
                args: `--release ${R1} --config-b64 ${b64('{"instanceId": "i-0123456789abcdef0", "idleMinute": 5}')}`,
                code: 1,
                message: /the agent rejects the config: .*unknown key "idleMinute"/,
            },
            {
                args: `--release ${R1} --config-b64 ${cfg} --credentials-stdin`,
                input: "",
                code: 1,
                message: /--credentials-stdin was given but stdin is empty/,
            },
            {
                args: `--release ${R1} --config-b64 ${cfg} --credentials-stdin`,
                input: "hello\n",
                code: 1,
                message: /not an AWS shared credentials file/,
            },
        ];
        for (const c of cases) {
            const r = sh(`sh ${installer} ${c.args}`, c.input ?? "");
            assert.equal(r.code, c.code, `install.sh ${c.args}: expected exit ${c.code}, got ${r.code}: ${r.stderr}`);
            assert.match(r.stderr, c.message, `install.sh ${c.args}`);
            assert.deepEqual(installedPaths(), beforePaths, `install.sh ${c.args} changed the machine`);
        }
        // Not root: refused.
        const r = await ssh(`sh ${installer} --release ${R1} --config-b64 ${cfg}`);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /idle-stop install: error: must run as root/);
    });

    it("installs over ssh exactly as the deployment does (sftp payload, sudo -n, credentials on stdin)", async () => {
        await push(R1);
        const out = await install(R1, 15);
        assert.match(out, new RegExp(`using Node\\.js v\\d+\\.\\d+\\.\\d+ at ${realpathSync(systemNodes()[0])}`));
        assert.match(out, /created system user idle-stop/);
    });

    it("creates the files with the right owners and modes, and records them in the manifest", () => {
        const agentUid = uidOf("idle-stop");
        const passwd = (getent("passwd", "idle-stop") ?? "").split(":");
        assert.match(passwd[6], /nologin|false/, "idle-stop has no login shell");
        const expect = (p: string, mode: number, uid = 0): void => {
            const st = statOf(p);
            assert.equal(st.mode.toString(8), mode.toString(8), `mode of ${p}`);
            assert.equal(st.uid, uid, `owner of ${p}`);
        };
        expect("/opt/idle-stop", 0o755);
        expect("/opt/idle-stop/idle-stop-agent.js", 0o644);
        expect("/opt/idle-stop/uninstall.sh", 0o755);
        expect("/etc/idle-stop", 0o755);
        expect("/etc/idle-stop/agent.json", 0o644);
        expect("/etc/idle-stop/credentials", 0o600, agentUid);
        // Root-owned, so root never follows a link the agent's user planted (sticky: the agent
        // cannot rename what it does not own); the agent writes its files through the group.
        expect("/var/lib/idle-stop", 0o1775);
        assert.equal(statOf("/var/lib/idle-stop").gid, Number((getent("group", "idle-stop") ?? "").split(":")[2]));
        expect("/var/lib/idle-stop/holds", 0o1777);
        expect("/usr/local/bin/idle-stop", 0o755);
        expect("/etc/profile.d/idle-stop.sh", 0o644);
        assert.equal(readFileSync("/etc/idle-stop/credentials", "utf8"), CREDENTIALS);
        assert.deepEqual(JSON.parse(readFileSync("/etc/idle-stop/agent.json", "utf8")), JSON.parse(agentConfig(15)));
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), R1);
        assert.equal(readFileSync("/etc/idle-stop/agent.env", "utf8").trim(), "AWS_SHARED_CREDENTIALS_FILE=/etc/idle-stop/credentials");
        assert.equal(readlinkSync("/opt/idle-stop/node"), realpathSync(systemNodes()[0]));
        assert.equal(readFileSync(join(payload, "idle-stop-agent.js"), "utf8"), readFileSync("/opt/idle-stop/idle-stop-agent.js", "utf8"));
        const manifest = readFileSync("/opt/idle-stop/manifest", "utf8");
        for (const entry of [
            "dir /opt/idle-stop",
            "dir /etc/idle-stop",
            "dir /var/lib/idle-stop",
            "user idle-stop",
            "file /usr/local/bin/idle-stop",
            "file /etc/profile.d/idle-stop.sh",
        ]) {
            assert.ok(manifest.split("\n").includes(entry), `manifest lacks "${entry}":\n${manifest}`);
        }
    });

    it("installs a systemd unit that systemd-analyze verify accepts (hardened, /proc visible)", function () {
        assert.equal(sh("command -v systemd-analyze").code, 0, "systemd-analyze is needed (apt-get install systemd; .ci/run does)");
        const unit = "/opt/idle-stop/idle-stop-agent.service";
        const r = sh(`systemd-analyze verify ${unit}`);
        assert.equal(r.code, 0, `systemd-analyze verify: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /idle-stop-agent\.service/, r.stderr);
        const text = readFileSync(unit, "utf8");
        for (const line of [
            "User=idle-stop",
            "Restart=always",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=read-only",
            "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/idle-stop",
            "WantedBy=multi-user.target",
            "After=network-online.target",
            "Wants=network-online.target",
            "Environment=AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
            "EnvironmentFile=-/etc/idle-stop/environment",
            "EnvironmentFile=-/etc/idle-stop/agent.env",
        ]) {
            assert.ok(text.split("\n").includes(line), `unit lacks ${line}`);
        }
        assert.doesNotMatch(text, /^\s*(ProtectProc|ProcSubset)=/m, "the agent must see every user's /proc entries");
    });

    it("runs the agent as idle-stop without systemd (cron entry + detached daemon)", async function () {
        assert.ok(
            !existsSync("/run/systemd/system"),
            "this test needs a machine where systemd is not PID 1 (as CI); the systemd branch is covered by the simulated-systemd test",
        );
        const procs = await waitUntil(() => (agentProcesses().length === 1 ? agentProcesses() : false), 15000, "one agent daemon");
        assert.equal(procs[0].uid, uidOf("idle-stop"));
        assert.deepEqual(procs[0].cmdline.slice(-4), ["/opt/idle-stop/idle-stop-agent.js", "run", "--config", "/etc/idle-stop/agent.json"]);
        assert.deepEqual(procs[0].cmdline.slice(1, -4), serviceNodeFlags(), "node runs with the service's flags");
        const cron = readFileSync("/etc/cron.d/idle-stop", "utf8");
        assert.match(cron, /^\* \* \* \* \* idle-stop \/opt\/idle-stop\/idle-stop-daemon\.sh start/m);
        assert.match(cron, /^@reboot idle-stop /m);
        // cron's `start` is harmless while it runs: still one daemon.
        const r = sh("runuser -u idle-stop -- /opt/idle-stop/idle-stop-daemon.sh start");
        assert.equal(r.code, 0, r.stderr);
        await new Promise((res) => setTimeout(res, 1500));
        assert.deepEqual(
            agentProcesses().map((p) => p.pid),
            [procs[0].pid],
        );
    });

    it("re-installing the same release is harmless, keeps the state and picks up /etc/idle-stop/environment", async () => {
        writeFileSync("/etc/idle-stop/environment", `AWS_ENDPOINT_URL_CLOUDWATCH=${cw?.url}\nAWS_EC2_METADATA_DISABLED=true\n`);
        const hold = await ssh("idle-stop hold 1h --reason install-test");
        assert.equal(hold.code, 0, hold.stderr);
        const before2 = snapshot([home]);
        await install(R1, 15);
        await install(R1, 15);
        const noProcs = (l: string): boolean => !l.startsWith("processes");
        assert.deepEqual(snapshot([home]).filter(noProcs), before2.filter(noProcs));
        assert.ok(existsSync("/etc/idle-stop/environment"), "the user's environment file is kept");
        assert.equal(agentProcesses().length, 1, "exactly one daemon after re-installs");
        const status = await ssh("idle-stop status --json");
        assert.equal(status.code, 0, status.stderr);
        const st = JSON.parse(status.stdout) as { holds: Array<{ user?: string; reason?: string }> };
        assert.equal(st.holds.length, 1, `the hold survives a re-install: ${status.stdout}`);
        const rel = await ssh("idle-stop release --all");
        assert.equal(rel.code, 0, rel.stderr);
    });

    it("the daemon counts the user's SSH session and publishes it; idle-stop status/hold/release work for that user", async () => {
        const s = await sshd().openSession(user, { pty: false });
        openSessions.push(s);
        const sessions = await ssh("idle-stop sessions --json");
        assert.equal(sessions.code, 0, sessions.stderr);
        const parsed = JSON.parse(sessions.stdout) as { count: number; sessions: Array<{ user: string }> };
        assert.ok(parsed.count >= 2 && parsed.sessions.filter((x) => x.user === user).length >= 2, sessions.stdout);
        // The daemon (user idle-stop, reading /proc of everyone) publishes >= 1 for this instance.
        // Minimum, not Maximum: the first period after a first start counts as in use anyway (the re-arm).
        const dp = await waitUntil(
            () =>
                cw
                    ?.datapoints()
                    .find(
                        (d) =>
                            d.dimensions.InstanceId === INSTANCE_ID &&
                            d.metricName === "ActiveSessions" &&
                            (d.value ?? d.statisticValues?.Minimum ?? 0) >= 1,
                    ),
            30000,
            "a datapoint >= 1 in every sample from the installed daemon",
        );
        assert.equal(dp.namespace, "IdleStop");
        assert.equal(dp.metricName, "ActiveSessions");
        const signed = cw?.accepted("PutMetricData") ?? [];
        assert.ok(
            signed.length > 0 && signed.every((q) => q.signature.valid && q.signature.accessKeyId === TEST_CREDENTIALS.accessKeyId),
            "signed with the credentials from stdin",
        );
        const status = await ssh("idle-stop status --json");
        assert.equal(status.code, 0, status.stderr);
        const st = JSON.parse(status.stdout) as { daemon: unknown; sessions: Array<{ user: string }>; lastPublishAt: unknown };
        assert.ok(st.daemon, `status sees the daemon: ${status.stdout}`);
        assert.ok(st.sessions.some((x) => x.user === user));
        const hold = await ssh("idle-stop hold 1h");
        assert.equal(hold.code, 0, hold.stderr);
        const human = await ssh("idle-stop status");
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /holds:\s+1/);
        const rel = await ssh("idle-stop release --all");
        assert.equal(rel.code, 0, rel.stderr);
        assert.match((await ssh("idle-stop status")).stdout, /holds:\s+0/);
    });

    it("shows one notice line on interactive logins and nothing for `ssh host true`", async () => {
        const s = await sshd().openSession(user, { pty: true });
        openSessions.push(s);
        const notices = [...s.output().matchAll(NOTICE)];
        assert.equal(notices.length, 1, `expected one notice in:\n${s.output()}`);
        assert.equal(notices[0][1], "15");
        for (const cmd of ["true", "bash -lc true", "sh -c true"]) {
            const r = await ssh(cmd);
            assert.equal(r.code, 0);
            assert.equal(r.stdout + r.stderr, "", `\`ssh host ${cmd}\` printed something`);
        }
        const sftp = await sshd().runClient("sftp", ["-b", "-", ...sftpArgs()], "pwd\n");
        assert.equal(sftp.code, 0, sftp.stderr);
        assert.doesNotMatch(sftp.stdout + sftp.stderr, /idle-stop:/);
    });

    it("names in the notice the signals that are on, leaving out those set to 0", async () => {
        const signals = { sessionIdleSeconds: 3600, busyProcessPercent: 25, busyGpuPercent: 0, transferBytesPerMinute: 1048576 };
        await install(R1, 15, { signals });
        try {
            const s = await sshd().openSession(user, { pty: true });
            openSessions.push(s);
            const expected =
                "idle-stop: this machine stops after 15 idle minutes with no use (typing, SSH traffic, busy processes, transfers); 'idle-stop hold 2h' keeps it awake.";
            const lines = [...s.output().matchAll(/idle-stop: this machine[^\r\n]*/g)].map((m) => m[0]);
            assert.deepEqual(lines, [expected], `one notice line in:\n${s.output()}`);
        } finally {
            await install(R1, 15); // back to the release the next tests upgrade from
        }
    });

    function sftpArgs(): string[] {
        const o = sshd().clientOptions();
        const i = o.indexOf("-p");
        return [...o.slice(0, i), "-P", o[i + 1], ...o.slice(i + 2), `${user}@${sshd().host}`];
    }

    it("upgrades in place to a new release; the old release's delete leaves it alone", async () => {
        await push(R2);
        const pidsBefore = agentProcesses().map((p) => p.pid);
        const out = await install(R2, 7, { clientAlive: 30 });
        assert.doesNotMatch(out, /created system user/);
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), R2);
        assert.match(readFileSync("/etc/profile.d/idle-stop.sh", "utf8"), /stops after 7 idle minutes/);
        const dropin = readFileSync("/etc/ssh/sshd_config.d/60-idle-stop.conf", "utf8");
        assert.match(dropin, /^ClientAliveInterval 30$/m);
        assert.match(dropin, /^ClientAliveCountMax 4$/m);
        assert.equal(sh("/usr/sbin/sshd -t").code, 0, "sshd accepts the drop-in");
        const procs = await waitUntil(() => (agentProcesses().length === 1 ? agentProcesses() : false), 15000, "one agent daemon");
        assert.notDeepEqual(
            procs.map((p) => p.pid),
            pidsBefore,
            "the daemon restarted with the new release",
        );

        // Pulumi replaces: the old resource's delete runs after the new create.
        const del = await ssh(uninstallCommand(R1));
        assert.equal(del.code, 0, del.stderr);
        assert.match(del.stderr, new RegExp(`release ${R2} is installed, not ${R1}: leaving the newer installation alone`));
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), R2);
        assert.equal(agentProcesses().length, 1);
        assert.ok(!existsSync(join(home, stagingDir(R1))), "the old staging dir is removed");
        assert.ok(existsSync(join(home, stagingDir(R2))), "the new staging dir stays");

        // A re-install without ClientAlive settings removes the drop-in again.
        await install(R2, 7);
        assert.ok(!existsSync("/etc/ssh/sshd_config.d/60-idle-stop.conf"));
    });

    it("records sshd's listening ports (with the stack's) and its LoginGraceTime in agent.json", async () => {
        const sys = systemSshd();
        assert.ok(sys.ports.length > 0 && sys.loginGraceSeconds >= 0, JSON.stringify(sys));
        // the stack's port only (a box reached through 2299), no loginGraceSeconds: the installer adds sshd's
        const out = await install(R2, 7, { sshd: { sshPorts: [2299] } });
        const config = JSON.parse(readFileSync("/etc/idle-stop/agent.json", "utf8")) as { sshPorts: number[]; loginGraceSeconds: number };
        assert.deepEqual(
            config.sshPorts,
            [...new Set([2299, ...sys.ports])].sort((a, b) => a - b),
        );
        assert.equal(config.loginGraceSeconds, sys.loginGraceSeconds);
        assert.match(out, new RegExp(`sshd: listens on ${sys.ports.join(", ")}; agent.json sshPorts`));
        // no sshPorts at all: the agent's default (22) with sshd's ports
        await install(R2, 7, { sshd: {} });
        assert.deepEqual(
            (JSON.parse(readFileSync("/etc/idle-stop/agent.json", "utf8")) as { sshPorts: number[] }).sshPorts,
            [...new Set([22, ...sys.ports])].sort((a, b) => a - b),
        );
    });

    it("uninstall removes everything it created and nothing else; running it again is harmless", async () => {
        const del = await ssh(uninstallCommand(R2));
        assert.equal(del.code, 0, del.stderr);
        assert.match(del.stderr, new RegExp(`idle-stop uninstall: idle-stop release ${R2} removed`));
        assert.deepEqual(snapshot([home]), baseline);
        const again = await ssh(uninstallCommand(R2));
        assert.equal(again.code, 0, again.stderr);
        const direct = sh(`sh ${join(payload, "uninstall.sh")}`);
        assert.equal(direct.code, 0, direct.stderr);
        assert.match(direct.stderr, /nothing installed/);
        assert.deepEqual(snapshot([home]), baseline);
    });

    describe("Node.js download (no usable Node.js on the box)", () => {
        let good: NodeMirror | undefined;
        let bad: NodeMirror | undefined;
        let realNodeDir = "";

        before(async () => {
            realNodeDir = boxTempDir("idle-stop-realnode-");
            good = await startNodeMirror({ realNode: join(realNodeDir, "node") });
            bad = await startNodeMirror({ realNode: join(realNodeDir, "node"), wrongChecksum: true });
        });
        after(async () => {
            forceUninstall();
            await good?.close();
            await bad?.close();
        });

        function download(url: string, dest: string): ReturnType<typeof shAsync> {
            // Sourced, install.sh cannot tell its directory from $0: IDLE_STOP_INSTALL_DIR names it.
            return shAsync(
                `IDLE_STOP_INSTALL_LIBRARY=1 && IDLE_STOP_INSTALL_DIR=${payload} && . ${join(payload, "install.sh")} && download_node '${url}' '${dest}'`,
            );
        }

        it("downloads the LTS tarball for this architecture and verifies it against SHASUMS256.txt", async () => {
            const dest = join(boxTempDir("idle-stop-dl-"), "runtime");
            const r = await download(good?.url ?? "", dest);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(sh(`${dest}/bin/node --version`).stdout.trim(), "v22.99.0");
            assert.deepEqual(
                good?.requests.slice(0, 2).map((u) => u.replace(/node-v.*/, "node-*")),
                ["/dist/latest-v22.x/SHASUMS256.txt", "/dist/latest-v22.x/node-*"],
            );
            assert.equal(statOf(`${dest}/bin/node`).uid, 0, "unpacked as root, not the tarball's owner");
        });

        it("refuses a tarball whose checksum does not match, and a mirror that is down", async () => {
            const dest = join(boxTempDir("idle-stop-dl-"), "runtime");
            const r = await download(bad?.url ?? "", dest);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /idle-stop install: error: checksum mismatch for node-v22\.99\.0-linux-\w+\.tar\.gz.*refusing to install it/);
            assert.ok(!existsSync(dest));
            const down = await download("http://127.0.0.1:9/dist", dest);
            assert.equal(down.code, 1);
            assert.match(down.stderr, /idle-stop install: error: could not download http:\/\/127\.0\.0\.1:9\/dist\/latest-v22\.x\/SHASUMS256\.txt/);
            assert.ok(!existsSync(dest));
        });

        // Runs install.sh as root (SUDO_USER = the test user) in a private mount namespace where
        // every system node binary is hidden, so discovery finds nothing usable in the PATHs.
        function installWithoutSystemNode(url: string, release: string): ReturnType<typeof shAsync> {
            const empty = join(realNodeDir, "empty");
            writeFileSync(empty, "", { mode: 0o644 });
            writeFileSync(join(realNodeDir, "node"), "", { mode: 0o755 });
            const real = realpathSync(systemNodes()[0]);
            const hide = [...new Set(systemNodes().map((n) => realpathSync(n)))].map((n) => `mount --bind ${empty} ${n}`).join(" && ");
            const args = `--release ${release} --config-b64 ${b64(agentConfig(15))} --node-dist-url ${url}`;
            const script = `mount --bind ${real} ${join(realNodeDir, "node")} && ${hide} && SUDO_USER=${user} sh ${join(payload, "install.sh")} ${args}`;
            return shAsync(`unshare -m --propagation private sh -c '${script}' </dev/null`);
        }

        function fakeNvmNode(version: string): string {
            const dir = join(home, ".nvm", "versions", "node", version, "bin");
            mkdirSync(dir, { recursive: true });
            writeFileSync(
                join(dir, "node"),
                `#!/bin/sh\ncase \${1:-} in --version) echo ${version}; exit 0 ;; esac\nexec ${join(realNodeDir, "node")} "$@"\n`,
                { mode: 0o755 },
            );
            sh(`chown -R ${user}: ${join(home, ".nvm")}`);
            return join(dir, "node");
        }

        it("skips a too-old nvm Node.js, uses a new one when idle-stop can run it, and drops the downloaded runtime then", async function () {
            assert.equal(sh("unshare -m true").code, 0, "hiding the system Node.js needs a private mount namespace (unshare -m, as root)");
            chmodSync(home, 0o755);
            fakeNvmNode("v18.20.0");
            const first = await installWithoutSystemNode(good?.url ?? "", R1);
            assert.equal(first.code, 0, first.stderr);
            assert.match(first.stderr, /skipping .*\/v18\.20\.0\/bin\/node: Node\.js 18 is older than 20/);
            assert.equal(readlinkSync("/opt/idle-stop/node"), "/opt/idle-stop/runtime/bin/node");
            const nvm = fakeNvmNode("v22.3.0");
            const second = await installWithoutSystemNode(good?.url ?? "", R1);
            assert.equal(second.code, 0, second.stderr);
            assert.match(second.stderr, /using Node\.js v22\.3\.0 at .*\/\.nvm\/versions\/node\/v22\.3\.0\/bin\/node/);
            assert.equal(readlinkSync("/opt/idle-stop/node"), nvm);
            assert.ok(!existsSync("/opt/idle-stop/runtime"), "the runtime it downloaded before is removed");
            assert.ok(!readFileSync("/opt/idle-stop/manifest", "utf8").includes("runtime"));
            forceUninstall();
        });

        it("falls back to the download when the nvm Node.js is in a home idle-stop cannot enter; uninstall removes the runtime", async function () {
            assert.equal(sh("unshare -m true").code, 0, "hiding the system Node.js needs a private mount namespace (unshare -m, as root)");
            chmodSync(home, 0o700);
            const requestsBefore = good?.requests.length ?? 0;
            const r = await installWithoutSystemNode(good?.url ?? "", R1);
            chmodSync(home, 0o755);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /skipping .*v22\.3\.0\/bin\/node: user idle-stop cannot run it/);
            assert.match(r.stderr, /downloading Node\.js \(latest-v22\.x, linux-\w+\)/);
            assert.ok((good?.requests.length ?? 0) > requestsBefore);
            assert.equal(readlinkSync("/opt/idle-stop/node"), "/opt/idle-stop/runtime/bin/node");
            assert.ok(readFileSync("/opt/idle-stop/manifest", "utf8").split("\n").includes("dir /opt/idle-stop/runtime"));
            const st = statOf("/opt/idle-stop/runtime/bin/node");
            assert.equal(st.uid, 0);
            assert.equal(st.mode & 0o022, 0, "runtime not group/world writable");
            const procs = await waitUntil(
                () => (agentProcesses().length === 1 ? agentProcesses() : false),
                15000,
                "the daemon on the downloaded runtime",
            );
            assert.equal(procs[0].uid, uidOf("idle-stop"));
            const del = sh("sh /opt/idle-stop/uninstall.sh --release " + R1);
            assert.equal(del.code, 0, del.stderr);
            sh(`rm -rf ${join(home, ".nvm")}`);
            assert.deepEqual(snapshot([home]), baseline);
        });

        it("stops with a clear message and changes nothing when the download does not verify", async function () {
            assert.equal(sh("unshare -m true").code, 0, "hiding the system Node.js needs a private mount namespace (unshare -m, as root)");
            const r = await installWithoutSystemNode(bad?.url ?? "", R1);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /idle-stop install: error: checksum mismatch/);
            assert.deepEqual(snapshot([home]), baseline);
        });
    });

    describe("systemd as PID 1 (simulated: fake systemctl and /run/systemd/system in a private mount namespace)", () => {
        let fake = "";
        before(function () {
            assert.equal(sh("unshare -m true").code, 0, "hiding the system Node.js needs a private mount namespace (unshare -m, as root)");
            fake = boxTempDir("idle-stop-fakesystemd-");
            mkdirSync(join(fake, "bin"));
            // systemctl: logs its arguments; every unit is active. cloud-init: logs whether the
            // installer had changed anything yet when it waited.
            writeFileSync(join(fake, "bin", "systemctl"), `#!/bin/sh\necho "$*" >>${fake}/systemctl.log\nexit 0\n`, { mode: 0o755 });
            writeFileSync(
                join(fake, "bin", "cloud-init"),
                `#!/bin/sh\nif [ -e /opt/idle-stop ]; then s=present; else s=absent; fi\necho "$* opt=$s" >>${fake}/cloud-init.log\n`,
                { mode: 0o755 },
            );
        });
        after(() => forceUninstall());

        function inSystemdNamespace(script: string): ReturnType<typeof shAsync> {
            const setup = "mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system";
            return shAsync(`unshare -m --propagation private sh -c '${setup} && PATH=${fake}/bin:$PATH && export PATH && ${script}' </dev/null`);
        }

        it("waits for cloud-init first, installs and enables the unit, restarts it on re-install; uninstall disables and removes it", async () => {
            const args = `--release ${R1} --config-b64 ${b64(agentConfig(15))} --client-alive-interval 45 --client-alive-count-max 2`;
            const r = await inSystemdNamespace(`SUDO_USER=${user} sh ${join(payload, "install.sh")} ${args}`);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /agent running under systemd \(idle-stop-agent\.service, enabled at boot\)/);
            assert.equal(readFileSync(join(fake, "cloud-init.log"), "utf8"), "status --wait opt=absent\n");
            const unit = "/etc/systemd/system/idle-stop-agent.service";
            assert.equal(readFileSync(unit, "utf8"), readFileSync(join(payload, "idle-stop-agent.service"), "utf8"));
            assert.equal(statOf(unit).mode, 0o644);
            assert.ok(!existsSync("/etc/cron.d/idle-stop"), "no cron entry under systemd");
            assert.equal(agentProcesses().length, 0, "systemd, not the installer, starts the agent");
            const v = sh(`systemd-analyze verify ${unit}`);
            if (sh("command -v systemd-analyze").code === 0) assert.equal(v.code, 0, v.stderr);
            let log = readFileSync(join(fake, "systemctl.log"), "utf8").trim().split("\n");
            assert.deepEqual(
                log.filter((l) => /idle-stop-agent|daemon-reload/.test(l)),
                ["daemon-reload", "enable idle-stop-agent.service", "restart idle-stop-agent.service", "is-active --quiet idle-stop-agent.service"],
            );
            assert.ok(log.includes("reload ssh.service"), `sshd reloaded through systemd: ${log.join("; ")}`);

            writeFileSync(join(fake, "systemctl.log"), "");
            const again = await inSystemdNamespace(`SUDO_USER=${user} sh ${join(payload, "install.sh")} ${args}`);
            assert.equal(again.code, 0, again.stderr);
            log = readFileSync(join(fake, "systemctl.log"), "utf8").trim().split("\n");
            assert.ok(log.includes("restart idle-stop-agent.service"), "re-install restarts the service");

            writeFileSync(join(fake, "systemctl.log"), "");
            const del = await inSystemdNamespace(`sh /opt/idle-stop/uninstall.sh --release ${R1}`);
            assert.equal(del.code, 0, del.stderr);
            log = readFileSync(join(fake, "systemctl.log"), "utf8").trim().split("\n");
            assert.ok(log.includes("disable --now idle-stop-agent.service"), log.join("; "));
            assert.ok(log.includes("daemon-reload"));
            assert.ok(log.includes("reload ssh.service"), "sshd reloaded after the drop-in is removed");
            assert.deepEqual(snapshot([home]), baseline);
        });
    });
});
