/**
 * Runs the agent's own command (`idle-stop hold`, `idle-stop release`) on a watched box with the
 * real `ssh`: through the user's ssh config when it knows the box's Host alias, else at the host,
 * user and port the box's tags or the stack name (docs/reference/laptop.md#hold-and-release).
 * Every argument is shell-quoted: the remote sshd hands the command line to the login shell.
 */
import { spawn, spawnSync } from "node:child_process";
import { shellQuote } from "../../../common/shell-quote";
import { RuntimeError } from "../../../common/errors";
import type { WatchedBox } from "../stack-outputs";

/** `ssh -G ALIAS` resolved the alias through a Host block: it has a HostName, a ProxyCommand or a user other than the default. */
function configuredAlias(alias: string, sshOptions: readonly string[]): boolean {
    const run = spawnSync("ssh", [...sshOptions, "-G", "--", alias], { encoding: "utf8" });
    if (run.status !== 0) return false;
    const settings = new Map<string, string>();
    for (const line of run.stdout.split("\n")) {
        const space = line.indexOf(" ");
        if (space > 0) settings.set(line.slice(0, space), line.slice(space + 1));
    }
    return settings.get("hostname") !== alias || (settings.get("proxycommand") ?? "none") !== "none";
}

/** Where ssh goes: the alias, or `-p PORT -l USER HOST` from the box's facts (HOST from EC2 unless fixed). */
async function destination(box: WatchedBox, alias: string, sshOptions: readonly string[]): Promise<string[]> {
    if (configuredAlias(alias, sshOptions)) return ["--", alias];
    let host = box.sshHostFixed ? box.sshHost : "";
    if (host === "") {
        const { addressOf, describeInstances, ec2Client } = await import("../aws/instances");
        const instance = (await describeInstances(ec2Client(box.region), [box.instanceId])).get(box.instanceId);
        if (instance?.state !== "running")
            throw new RuntimeError(
                `${box.name} (${box.instanceId}) is ${instance?.state ?? "unknown"}: start it first (idle-stop start ${box.name})`,
            );
        host = addressOf(instance, "auto") ?? "";
        if (host === "") throw new RuntimeError(`${box.name} (${box.instanceId}) has no address EC2 reports`);
    }
    return ["-p", String(box.sshPort), "-l", box.sshUser, "--", host];
}

/** Runs `idle-stop ARGS...` on the box; its output and errors are the user's. Returns ssh's exit code. */
export async function runOnBox(box: WatchedBox, alias: string, args: readonly string[], sshOptions: readonly string[]): Promise<number> {
    const remote = ["idle-stop", ...args].map(shellQuote).join(" ");
    const argv = [...sshOptions, ...(await destination(box, alias, sshOptions)), remote];
    return new Promise((resolve, reject) => {
        const child = spawn("ssh", argv, { stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", (err) => reject(new RuntimeError(`cannot run ssh: ${err.message}`)));
        child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
}
