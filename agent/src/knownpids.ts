// Processes the daemon already knows are not sshd, so a sample need not read their /proc files
// again. A pid that is reused by a new process must not keep the old verdict: the check is one
// stat(2) of /proc/PID. procfs makes that directory's inode when the pid is first looked up and
// drops it when the process exits (a dentry of a dead task fails revalidation), so a new process
// behind the same pid gets a new inode with a later change time. That is as strong as comparing
// start times (stat field 22, 10-ms ticks) and cheaper than reading any file: no open, no read.
// Only "not sshd" is remembered: sshd processes are checked in full every sample, because their
// titles change (pre-auth -> USER@pts/N) while pid and inode stay the same. A session process is
// forked by a root sshd and never execs, so it is sshd from birth and is never remembered here.
import { statSync } from "node:fs";
import { join } from "node:path";

export interface Identity {
    ino: number;
    ctimeMs: number;
}

export class KnownPids {
    private readonly others = new Map<number, { ino: number; changed: number; scan: number }>();
    private scan = 0;
    private seen = 0;

    /** Call once before each pass over the pids. */
    startScan(): void {
        this.scan++;
        this.seen = 0;
    }

    /**
     * The identity of /proc/PID right now (inode number and change time), or null when the process
     * is gone. Take it before reading the process's files, so a reuse in between shows next scan.
     */
    identity(procRoot: string, pid: number): Identity | null {
        const st = statSync(join(procRoot, String(pid)), { throwIfNoEntry: false });
        return st === undefined ? null : st;
    }

    /** True when this pid was seen as a non-sshd process with the same identity. */
    isOther(pid: number, identity: Identity): boolean {
        const k = this.others.get(pid);
        if (k === undefined) return false;
        if (k.ino !== identity.ino || k.changed !== identity.ctimeMs) {
            this.others.delete(pid);
            return false;
        }
        k.scan = this.scan;
        this.seen++;
        return true;
    }

    rememberOther(pid: number, identity: Identity): void {
        this.others.set(pid, { ino: identity.ino, changed: identity.ctimeMs, scan: this.scan });
        this.seen++;
    }

    /** Call after a pass: forgets pids that were not seen (exited), so the map stays the size of the box. */
    endScan(): void {
        if (this.others.size === this.seen) return;
        for (const [pid, k] of this.others) if (k.scan !== this.scan) this.others.delete(pid);
    }
}
