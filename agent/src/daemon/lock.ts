// One publisher per stateDir: <stateDir>/publisher.pid holds "PID STARTTIME"; a stale lock (process
// gone or pid reused) is taken over.
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, RuntimeError } from "../../../common/errors";
import { log } from "../system/log";
import { processAlive, readStat } from "../system/proc";

/** Errors of a disk that cannot take a few more bytes. */
const NO_SPACE: ReadonlySet<string> = new Set(["ENOSPC", "EDQUOT"]);

export class Lock {
    private constructor(readonly path: string | null) {}

    static acquire(stateDir: string): Lock {
        const procRoot = "/proc";
        const path = join(stateDir, "publisher.pid");
        const me = readStat(procRoot, process.pid);
        const content = `${process.pid} ${me?.starttime ?? 0}\n`;
        for (let i = 0; i < 3; i++) {
            try {
                writeFileSync(path, content, { flag: "wx", mode: 0o644 });
                return new Lock(path);
            } catch (e) {
                const code = errnoCode(e);
                if (code !== undefined && NO_SPACE.has(code)) {
                    // A full disk (any user can fill it) must not keep the agent from publishing:
                    // run without the lock file (the service manager runs one agent anyway).
                    try {
                        unlinkSync(path); // the empty file the failed write left
                    } catch {
                        /* not created */
                    }
                    log("warn", "lock_unavailable", { path, error: code, effect: "running without the publisher lock" });
                    return new Lock(null);
                }
                if (code !== "EEXIST") throw new RuntimeError(`cannot create ${path}: ${String(e)}`);
            }
            let pid = 0;
            let start = 0;
            try {
                [pid, start] = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
            } catch {
                /* vanished: retry */
            }
            if (pid > 0 && pid !== process.pid && processAlive(procRoot, pid, start || undefined)) {
                throw new RuntimeError(`another idle-stop agent (pid ${pid}) is publishing from ${stateDir}`);
            }
            try {
                unlinkSync(path);
            } catch {
                /* raced: retry */
            }
        }
        throw new RuntimeError(`cannot take ${path}`);
    }

    release(): void {
        if (this.path === null) return;
        try {
            unlinkSync(this.path);
        } catch {
            /* gone */
        }
    }
}
