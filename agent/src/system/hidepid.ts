// /proc mounted with hidepid=1|2 (invisible|noaccess) hides other users' processes from the
// agent's user: it would count 0 sessions while people work, and the box would be stopped under
// them. Detect it and refuse to count rather than report 0 (the silent-agent alarm then tells).
// The fix is the mount's gid= option with the agent's user in that group (the installer does it).
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { RuntimeError } from "../../../common/errors";

export class ProcHiddenError extends RuntimeError {}

interface ProcMount {
    hidepid: string | null;
    gid: number | null;
}

/** The proc mount at `procRoot` from this process's mountinfo, or null (not a proc mount). */
export function procMount(procRoot: string, mountinfo = "/proc/self/mountinfo"): ProcMount | null {
    let text: string;
    let where: string;
    try {
        text = readFileSync(mountinfo, "utf8");
        where = realpathSync(procRoot);
    } catch {
        return null;
    }
    let found: ProcMount | null = null;
    for (const line of text.split("\n")) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
        const [left, right] = line.split(" - ");
        if (right === undefined) continue;
        const mountPoint = left.split(" ")[4]?.replace(/\\040/g, " ");
        const [fstype, , superOpts = ""] = right.split(" ");
        if (fstype !== "proc" || mountPoint !== where) continue;
        const opt = (k: string): string | null =>
            superOpts
                .split(",")
                .find((o) => o.startsWith(`${k}=`))
                ?.slice(k.length + 1) ?? null;
        const hidepid = opt("hidepid");
        const gid = opt("gid");
        // The last mount on a mount point is the visible one.
        found = {
            hidepid: hidepid === null || hidepid === "0" || hidepid === "off" ? null : hidepid,
            gid: gid !== null && /^\d+$/.test(gid) ? Number(gid) : null,
        };
    }
    return found;
}

/** Mount options change rarely: the daemon re-reads them once a minute, not every sample. */
const mountCache = new Map<string, { at: number; mount: ProcMount | null }>();
function cachedProcMount(procRoot: string, now: number): ProcMount | null {
    const hit = mountCache.get(procRoot);
    if (hit && Math.abs(now - hit.at) < 60_000) return hit.mount;
    const mount = procMount(procRoot);
    mountCache.set(procRoot, { at: now, mount });
    return mount;
}

function canRead(path: string): boolean {
    try {
        readFileSync(path);
        return true;
    } catch {
        return false;
    }
}

/**
 * Throws ProcHiddenError when other users' processes are hidden from this process under
 * `procRoot`. Synthetic trees (tests) are not proc mounts and always pass.
 */
export function assertProcVisible(procRoot: string, now: number): void {
    const uid = process.getuid?.() ?? 0;
    if (uid === 0) return; // hidepid never hides from root
    const mount = cachedProcMount(procRoot, now);
    const isProc = mount !== null || canRead(join(procRoot, "self", "stat"));
    if (!isProc) return;
    const groups = new Set([process.getegid?.() ?? -1, ...(process.getgroups?.() ?? [])]);
    const exempt = mount?.gid != null && groups.has(mount.gid);
    // pid 1 exists in every pid namespace and is not ours: if we cannot read it, we are blind.
    const blind = !canRead(join(procRoot, "1", "stat")) || (mount?.hidepid != null && !exempt);
    if (!blind) return;
    const opts = mount?.hidepid != null ? `hidepid=${mount.hidepid}${mount.gid != null ? `,gid=${mount.gid}` : ""}` : "hidepid";
    throw new ProcHiddenError(
        `${procRoot} is mounted with ${opts}: other users' processes are hidden from uid ${uid}, so SSH sessions cannot be counted ` +
            `(nothing is published rather than a false 0). Fix: mount ${procRoot} with gid=GROUP and add this user to GROUP ` +
            `(e.g. /etc/fstab: proc /proc proc defaults,hidepid=2,gid=GROUP 0 0), or re-run the idle-stop installer, which does this when gid= is set.`,
    );
}
