// The agent's system user and group (no login shell, no home), created once and recorded.
import { existsSync } from "node:fs";
import { Manifest } from "./manifest";
import { fail, say } from "./messages";
import { AGENT_USER } from "./paths";
import { commandPath, getent, run } from "./system";

function noLoginShell(): string {
    return commandPath("nologin") ?? ["/usr/sbin/nologin", "/sbin/nologin"].find((p) => existsSync(p)) ?? "/bin/false";
}

export function ensureAgentUser(manifest: Manifest): void {
    if (getent("passwd", AGENT_USER) !== null) return;
    if (getent("group", AGENT_USER) === null) {
        if (run("groupadd", ["--system", AGENT_USER], { stderr: "inherit" }).code !== 0) fail(`could not create group ${AGENT_USER}`);
        manifest.add(`group ${AGENT_USER}`);
    }
    const useradd = run(
        "useradd",
        [
            "--system",
            "--gid",
            AGENT_USER,
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            noLoginShell(),
            "--comment",
            "idle-stop agent",
            AGENT_USER,
        ],
        { stderr: "inherit" },
    );
    if (useradd.code !== 0) fail(`could not create user ${AGENT_USER}`);
    manifest.add(`user ${AGENT_USER}`);
    say(`created system user ${AGENT_USER}`);
}

/** The agent user's uid and the idle-stop group's gid. */
export function agentIds(): { uid: number; gid: number } {
    const user = getent("passwd", AGENT_USER);
    const group = getent("group", AGENT_USER);
    if (user === null || group === null) fail(`user or group ${AGENT_USER} does not exist`);
    return { uid: Number(user[2]), gid: Number(group[2]) };
}
