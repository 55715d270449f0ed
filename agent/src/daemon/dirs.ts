// The directories once and run write to: stateDir (spool, status, lock) and the shared holdsDir.
import { chmodSync, existsSync } from "node:fs";
import { errorMessage, RuntimeError } from "../../../common/errors";
import { PublishConfig } from "../config";
import { ensureDir } from "../system/fs-util";
import { log } from "../system/log";

export function prepareDirs(c: PublishConfig): void {
    try {
        ensureDir(c.stateDir, 0o755);
    } catch (e) {
        throw new RuntimeError(`cannot prepare ${c.stateDir}: ${errorMessage(e)}`);
    }
    try {
        if (!existsSync(c.holdsDir)) {
            ensureDir(c.holdsDir);
            chmodSync(c.holdsDir, 0o1777); // any user may add holds; sticky: only owners remove
        }
    } catch (e) {
        // Not fatal (a full disk cannot take a new directory): sessions still count.
        log("warn", "holds_dir_unavailable", { path: c.holdsDir, error: errorMessage(e) });
    }
}
