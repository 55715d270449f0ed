// One installer or uninstaller at a time: the flock on /opt/idle-stop that uninstall.sh also
// takes. Node cannot flock, so a flock(1) child holds it until the installer closes its stdin
// (or dies); nothing the installer starts inherits the lock.
import { spawn } from "node:child_process";
import { InstallError } from "./messages";
import { commandPath } from "./system";

/** Waits up to 10 minutes for the lock on DIR; resolves to its release. No flock(1): no lock. */
export function takeInstallLock(dir: string): Promise<() => void> {
    if (commandPath("flock") === null) return Promise.resolve(() => undefined);
    const holder = spawn("flock", ["-w", "600", dir, "sh", "-c", "echo locked && exec cat >/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
    const release = (): void => {
        holder.stdin.end();
    };
    return new Promise((resolve, reject) => {
        holder.stdout.once("data", () => resolve(release));
        holder.once("error", (e) => reject(e));
        // After the release this is a no-op: the promise is settled.
        holder.once("exit", () => reject(new InstallError("another idle-stop install is still running")));
    });
}
