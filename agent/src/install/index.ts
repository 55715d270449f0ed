// `idle-stop-agent install`: the installer's TypeScript part, run by install.sh once Node.js is there.
//
// The installer's contract (the reference: docs/reference/installer.md):
// - Entry point: `sudo -n sh ~/.idle-stop-<release>/dist/install.sh --release R --config-b64 B64
//   [--credentials-stdin] [--node-dist-url U] [--client-alive-interval N [--client-alive-count-max N]]`
//   (components/agent-commands.ts). install.sh (shell) waits for cloud-init, finds a Node.js >= 20
//   the agent's user can run or downloads one (agent/install/node-download.sh, shared with the
//   cloud-init user data), then execs `node idle-stop-agent.js install ARGS --node PATH
//   [--node-download DIR]`: this module. Exit codes: 0 installed, 1 failed, 2 bad usage.
// - Nothing changes before the arguments, the config (the agent's own parser, stateDir
//   /var/lib/idle-stop, holdsDir directly inside it), the credentials and /proc's hidepid are
//   checked. Then the lock on /opt/idle-stop (shared with uninstall.sh) is held to the end.
// - Everything created is recorded in /opt/idle-stop/manifest ("dir|file|user|group PATH",
//   "member USER GROUP"); uninstall.sh removes exactly that. Files outside the product's
//   directories are overwritten only when recorded or marked "Installed by idle-stop".
// - agent.json is the given config with sshd's facts added (sshd.ts recordSshdFacts): sshPorts
//   with every port sshd listens on, loginGraceSeconds from its LoginGraceTime.
// - Creates: user/group idle-stop (system, no login shell); /opt/idle-stop 0755 (bundle,
//   uninstall.sh, idle-stop-daemon.sh, the unit's copy, README, node -> the chosen Node.js,
//   node-path, runtime/ when downloaded, RELEASE, manifest); /etc/idle-stop 0755 (agent.json 0644,
//   credentials 0600 owned by idle-stop, agent.env; a user's own environment file is kept);
//   /var/lib/idle-stop root:idle-stop 1775 with holds/ root 1777 (kept across re-installs);
//   /usr/local/bin/idle-stop 0755; /etc/profile.d/idle-stop.sh 0644; the systemd unit
//   /etc/systemd/system/idle-stop-agent.service (systemd as PID 1) or /etc/cron.d/idle-stop plus
//   a detached daemon; /etc/ssh/sshd_config.d/60-idle-stop.conf with --client-alive-interval
//   (removed again by a re-install without it).
// - Idempotent: a re-install (same or new release) upgrades in place, restarts the agent and
//   keeps the state. /opt/idle-stop/RELEASE is written last: when an upgrade fails, it still
//   names the previous release, whose uninstall then removes everything.
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { errorMessage, UsageError } from "../../../common/errors";
import { agentIds, ensureAgentUser } from "./agent-user";
import { installBundle, installEtc, installLoginNotice, installWrapper, placeNode } from "./files";
import { decodeAgentConfig, readCredentials } from "./input";
import { takeInstallLock } from "./lock";
import { Manifest, putFile } from "./manifest";
import { fail, say } from "./messages";
import { INSTALL_USAGE, InstallOptions, parseInstallArgs } from "./options";
import { PREFIX } from "./paths";
import { checkProcAccess, joinProcGroup } from "./proc-access";
import { startAgent } from "./service";
import { configureSshd, recordSshdFacts } from "./sshd";
import { secureStateDir } from "./state-dir";

async function install(o: InstallOptions, payload: string): Promise<void> {
    if (process.getuid?.() !== 0) fail("must run as root (the deployment runs it with sudo -n)");
    process.umask(0o022);
    const input = decodeAgentConfig(o.configB64);
    const credentials = o.credentialsStdin ? await readCredentials() : null;
    checkProcAccess();

    mkdirSync(PREFIX, { recursive: true });
    chmodSync(PREFIX, 0o755);
    const unlock = await takeInstallLock(PREFIX);
    try {
        const manifest = new Manifest();
        manifest.create();
        manifest.add(`dir ${PREFIX}`);
        ensureAgentUser(manifest);
        joinProcGroup(manifest);
        placeNode(manifest, o.node, o.nodeDownload);
        const idleMinutes = input.config.idleMinutes;
        installBundle(payload, o.release, idleMinutes);
        const agent = agentIds();
        installEtc(manifest, recordSshdFacts(input.bytes), credentials, agent);
        secureStateDir(manifest, input.holdsDir, agent.gid);
        installWrapper(manifest, payload);
        installLoginNotice(manifest, input.config);
        configureSshd(manifest, o.clientAlive);
        await startAgent(manifest, payload);
        // Only now is this release installed (see the contract above).
        putFile(join(PREFIX, "RELEASE"), `${o.release}\n`, 0o644);
        say(`release ${o.release} installed (idle-stop status shows what it sees)`);
    } finally {
        unlock();
    }
}

async function run(argv: string[]): Promise<number> {
    try {
        const options = parseInstallArgs(argv);
        // The payload is where this bundle is (install.sh runs it from there).
        await install(options, dirname(process.argv[1]));
        return 0;
    } catch (e) {
        if (e instanceof UsageError) {
            process.stderr.write(`idle-stop install: ${e.message}\n${INSTALL_USAGE}\n`);
            return 2;
        }
        process.stderr.write(`idle-stop install: error: ${errorMessage(e)}\n`);
        return 1;
    } finally {
        removeDownloadDir(argv);
    }
}

/** The bootstrap's download directory (mktemp's idle-stop-install.XXXXXX): moved in or not, it goes. */
function removeDownloadDir(argv: string[]): void {
    const i = argv.indexOf("--node-download");
    const dir = i >= 0 ? argv[i + 1] : undefined;
    if (dir !== undefined && /^idle-stop-install\.[A-Za-z0-9]+$/.test(basename(dir))) rmSync(dir, { recursive: true, force: true });
}

/** The `install` subcommand: internal, run by install.sh; not in the agent's user-facing help. */
export const installCommand = {
    name: "install",
    usage: `${INSTALL_USAGE}\n(internal: install.sh runs \`idle-stop-agent.js install ... --node PATH [--node-download DIR]\` as root)`,
    summary: "install or upgrade the agent on this machine (internal: run by install.sh)",
    internal: true,
    run,
};
