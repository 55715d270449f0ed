// Processes the daemon already knows are not sshd, so a sample need not read their /proc files
// again. A pid reused by a new process must not keep the old verdict, so a remembered pid is
// skipped only when it is certainly the same process:
// - no process was created since the last scan: the kernel's fork counter (`processes` in
//   /proc/stat, every clone in every namespace) has not moved, so no pid can have been reused.
//   One small read for the whole scan.
// - otherwise one stat(2) of /proc/PID: procfs makes that directory's inode when the pid is first
//   looked up and drops it when the process exits (a dentry of a dead task fails revalidation),
//   so a new process behind the same pid gets a new inode with a later change time. That is as
//   strong as comparing start times (stat field 22, 10-ms ticks) and cheaper than reading a file.
// Only "not sshd" is remembered: sshd processes are checked in full every sample, because their
// titles change (pre-auth -> USER@pts/N) while pid and inode stay the same. A session process is
// forked by a root sshd and never execs, so it is sshd from birth and is never remembered here.
import { statSync } from "node:fs";
import { readProcFile } from "./procread";

const STAT_OPTIONS = { throwIfNoEntry: false } as const;

export interface Identity {
    ino: number;
    ctimeMs: number;
}

/** Processes created since boot (`processes` in /proc/stat), or null when unknown. */
export function forkCount(procRoot: string): number | null {
    const t = readProcFile(`${procRoot}/stat`);
    const m = t === null ? null : /^processes (\d+)$/m.exec(t);
    return m ? Number(m[1]) : null;
}

export class KnownPids {
    private readonly others = new Map<number, { ino: number; changed: number; scan: number }>();
    private scan = 0;
    private seen = 0;
    private forks: number | null = null;
    /** No process was created since the last scan: remembered pids need no check. */
    private unchanged = false;

    /** Call once before each pass over the pids. */
    startScan(procRoot: string): void {
        this.scan++;
        this.seen = 0;
        const forks = forkCount(procRoot);
        this.unchanged = forks !== null && forks === this.forks;
        this.forks = forks;
    }

    /** True when pid is a remembered non-sshd process that is certainly still the same process. */
    skip(procRoot: string, pid: number): boolean {
        const k = this.others.get(pid);
        if (k === undefined) return false;
        if (!this.unchanged) {
            const id = this.identity(procRoot, pid);
            if (id === null || k.ino !== id.ino || k.changed !== id.ctimeMs) {
                this.others.delete(pid);
                return id === null; // gone: nothing to read either
            }
        }
        k.scan = this.scan;
        this.seen++;
        return true;
    }

    /**
     * The identity of /proc/PID right now (inode number and change time), or null when the process
     * is gone. Take it before reading the process's files, so a reuse in between shows next scan.
     */
    identity(procRoot: string, pid: number): Identity | null {
        const st = statSync(`${procRoot}/${pid}`, STAT_OPTIONS);
        return st === undefined ? null : st;
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
