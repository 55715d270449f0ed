// Files the agent writes: atomically replaced (temp file + rename), directories created with a mode.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";

/**
 * Write a file atomically: temp file in the same dir, rename. `durable` also fsyncs before the
 * rename, for data that must survive a crash (the spool); it is the agent's costliest syscall, so
 * files rewritten every sample and worthless after a crash (the status file) skip it.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644, durable = true): void {
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", mode);
    try {
        try {
            writeSync(fd, data);
            if (durable) fsyncSync(fd);
        } finally {
            closeSync(fd);
        }
        renameSync(tmp, path);
    } catch (e) {
        // Never leave a half-written temp file behind (a full disk fails the write, not the open).
        try {
            unlinkSync(tmp);
        } catch {
            /* ignore */
        }
        throw e;
    }
}

export function ensureDir(path: string, mode = 0o755): void {
    mkdirSync(path, { recursive: true, mode });
}
