/**
 * The shell commands that `remote.Command` runs on the instance to register and remove the
 * agent. They are pure functions of their options so the tests (and the real-sshd rehearsal)
 * can run exactly what Pulumi would run.
 *
 * Contract with agent/install/install.sh and uninstall.sh:
 * - the payload directory (agent/dist) is copied to `~/<stagingDir>/dist/` by CopyToRemote;
 * - `install.sh --release R --config-b64 B64 [options]` runs as root via `sudo -n` from the
 *   SSH user's home directory; when `--credentials-stdin` is given, stdin carries an AWS shared
 *   credentials file (the only secret; it never appears on a command line);
 * - install copies `uninstall.sh` to /opt/idle-stop/, and `uninstall.sh --release R` removes
 *   the installation only when release R is the one installed, so the old resource's delete
 *   that Pulumi runs after a replacement's create leaves the new release alone.
 */

import { shellQuote } from "../common/shell-quote";

/** Where the installed uninstaller lives; the delete command runs this copy. */
const installedUninstaller = "/opt/idle-stop/uninstall.sh";

interface InstallOptions {
    /** Content hash of payload + config; names the staging directory and the installation. */
    readonly release: string;
    /** The agent's config file (agent.json) content. */
    readonly agentConfigJson: string;
    /** Whether stdin carries an AWS credentials file for the agent (IAM-user mode). */
    readonly credentialsOnStdin: boolean;
    /** Base URL of the Node.js binary distribution (a mirror for private subnets). */
    readonly nodeDistUrl?: string;
    /** When set, an sshd drop-in closes dead connections after this many seconds x count. */
    readonly clientAliveIntervalSeconds?: number;
    /** ClientAliveCountMax for the sshd drop-in. */
    readonly clientAliveCountMax?: number;
}

/** The staging directory, relative to the SSH user's home directory (where SFTP starts). */
export function stagingDir(release: string): string {
    return `.idle-stop-${release}`;
}

export function installCommand(options: InstallOptions): string {
    const args = ["--release", options.release, "--config-b64", Buffer.from(options.agentConfigJson, "utf8").toString("base64")];
    if (options.credentialsOnStdin) {
        args.push("--credentials-stdin");
    }
    if (options.nodeDistUrl) {
        args.push("--node-dist-url", options.nodeDistUrl);
    }
    if (options.clientAliveIntervalSeconds !== undefined) {
        args.push("--client-alive-interval", String(options.clientAliveIntervalSeconds));
        args.push("--client-alive-count-max", String(options.clientAliveCountMax ?? 3));
    }
    const installer = `${stagingDir(options.release)}/dist/install.sh`;
    return `set -eu; cd "$HOME"; sudo -n sh ${installer} ${args.map(shellQuote).join(" ")}`;
}

export function uninstallCommand(release: string): string {
    // Runs the installed uninstaller (the staging copy may be gone), then removes this release's
    // staging directory, which belongs to the SSH user and to this release only.
    return [
        `set -eu; cd "$HOME"`,
        `if [ -f ${installedUninstaller} ]; then sudo -n sh ${installedUninstaller} --release ${shellQuote(release)}; fi`,
        `rm -rf ${shellQuote(stagingDir(release))}`,
    ].join("; ");
}
