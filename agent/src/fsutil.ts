import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** Write a file atomically: temp file in the same dir, fsync, rename. */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", mode);
    try {
        writeSync(fd, data);
        fsyncSync(fd);
    } finally {
        closeSync(fd);
    }
    try {
        renameSync(tmp, path);
    } catch (e) {
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

export function ensureParent(path: string): void {
    ensureDir(dirname(path));
}
