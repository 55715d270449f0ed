// Running the system's tools (useradd, systemctl, sshd, ...) from the installer: never with the
// installer's stdin (it carried the credentials), and as another user where root must not act.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

interface Ran {
    code: number;
    stdout: string;
    stderr: string;
}

interface RunOptions {
    /** "pipe" (default) collects stderr; "inherit" shows it; "ignore" drops it. */
    stderr?: "pipe" | "inherit" | "ignore";
    /** "pipe" (default) collects stdout; "ignore" for commands that leave a daemon behind. */
    stdout?: "pipe" | "ignore";
}

/** Runs CMD ARGS to completion; a command that cannot be started exits 127, as in a shell. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Ran {
    const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", opts.stdout ?? "pipe", opts.stderr ?? "pipe"] });
    const code = r.error !== undefined ? 127 : (r.status ?? 128);
    return { code, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** The absolute path of NAME on PATH, like `command -v`, or null. */
export function commandPath(name: string): string | null {
    for (const dir of (process.env.PATH ?? "").split(":")) {
        if (dir === "") continue;
        const candidate = join(dir, name);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            /* not here */
        }
    }
    return null;
}

/** Runs CMD ARGS as USER (runuser, else setpriv, else sudo), with that user's rights only. */
export function runAs(user: string, argv: string[], opts: RunOptions = {}): Ran {
    if (commandPath("runuser") !== null) return run("runuser", ["-u", user, "--", ...argv], opts);
    if (commandPath("setpriv") !== null) {
        const gid = run("id", ["-g", user]).stdout.trim();
        return run("setpriv", [`--reuid=${user}`, `--regid=${gid}`, "--init-groups", "--", ...argv], opts);
    }
    return run("sudo", ["-n", "-u", user, "--", ...argv], opts);
}

/** One line of the passwd or group database (getent), split into its fields, or null. */
export function getent(db: "passwd" | "group", key: string): string[] | null {
    const r = run("getent", [db, key]);
    return r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim().split("\n")[0].split(":") : null;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
