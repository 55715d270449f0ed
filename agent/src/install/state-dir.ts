// The state directory, kept across re-installs (spool, holds). Root must never follow a link the
// agent's user (or anyone) planted: the directory is root-owned, group idle-stop, 1775 (the agent
// creates its files; the sticky bit keeps it from renaming what it does not own), and holds/ is
// root-owned 1777, so nobody but root can swap holds/ for a symlink. An older installation's
// agent-owned holds/ is first made root's without following links, then checked, then changed.
import {
    chmodSync,
    chownSync,
    closeSync,
    constants,
    fchmodSync,
    fchownSync,
    lchownSync,
    lstatSync,
    mkdirSync,
    openSync,
    Stats,
    unlinkSync,
} from "node:fs";
import { errnoCode } from "../../../common/errors";
import { Manifest } from "./manifest";
import { fail, say } from "./messages";
import { STATE_DIR } from "./paths";

function lstatOrNull(path: string): Stats | null {
    try {
        return lstatSync(path);
    } catch {
        return null;
    }
}

export function secureStateDir(manifest: Manifest, holdsDir: string, agentGid: number): void {
    const state = lstatOrNull(STATE_DIR);
    if (state?.isSymbolicLink()) fail(`${STATE_DIR} is a symbolic link; refusing to use it (remove it and deploy again)`);
    if (state !== null && !state.isDirectory()) fail(`${STATE_DIR} is not a directory; refusing to use it (remove it and deploy again)`);
    if (state === null) mkdirSync(STATE_DIR, { recursive: true });
    manifest.add(`dir ${STATE_DIR}`);
    chownSync(STATE_DIR, 0, agentGid);
    chmodSync(STATE_DIR, 0o1775);

    const holds = lstatOrNull(holdsDir);
    if (holds !== null) {
        lchownSync(holdsDir, 0, 0);
        if (holds.isSymbolicLink() || !holds.isDirectory()) {
            say(`warning: ${holdsDir} was not a directory (a symbolic link?); replaced it`);
            unlinkSync(holdsDir);
        }
    }
    try {
        mkdirSync(holdsDir);
    } catch (e) {
        if (errnoCode(e) !== "EEXIST") throw e;
    }
    // Through a descriptor opened without following links: whatever holdsDir is now, a link is refused.
    const fd = openSync(holdsDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
        fchownSync(fd, 0, 0);
        // Every user may add a hold (sticky: only its owner may remove it).
        fchmodSync(fd, 0o1777);
    } finally {
        closeSync(fd);
    }
}
