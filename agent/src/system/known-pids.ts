// Processes the daemon already knows are not sshd, so a sample need not read their /proc files
// again. A pid reused by a new process must not keep the old verdict, so a remembered pid is
// skipped only when it is certainly the same process:
// - no process was created since the last scan: the kernel's fork counter (`processes` in
//   /proc/stat, every clone in every namespace) has not moved, so no pid can have been reused.
//   One small read for the whole scan.
// - otherwise, a pid the kernel has not handed out since the last scan cannot have been reused.
//   Pids are handed out in increasing order (the allocator's cursor, the last field of
//   /proc/loadavg) until they wrap around, so only pids between the last scan's cursor and now's
//   can be new. Used when the cursor moved forward by at least as many pids as processes were
//   created (else it wrapped) and /proc is this process's own pid namespace (else the cursor is
//   another namespace's). The cursor could still go once around the whole pid space unseen only
//   if tens of thousands of forks failed after taking a pid, so every FULL_CHECK_EVERY-th scan
//   checks every remembered pid anyway.
// - otherwise one stat(2) of /proc/PID: procfs makes that directory's inode when the pid is first
//   looked up and drops it when the process exits (a dentry of a dead task fails revalidation),
//   so a new process behind the same pid gets a new inode with a later change time. That is as
//   strong as comparing start times (stat field 22, 10-ms ticks) and cheaper than reading a file.
// Only "not sshd" is remembered: sshd processes are checked in full every sample, because their
// titles change (pre-auth -> USER@pts/N) while pid and inode stay the same. A session process is
// forked by a root sshd and never execs, so it is sshd from birth and is never remembered here.
import { readlinkSync, statSync } from "node:fs";
import { readProcFile } from "./proc-read";

const STAT_OPTIONS = { throwIfNoEntry: false } as const;
const FULL_CHECK_EVERY = 6;

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

/** The last pid the kernel handed out in procRoot's pid namespace, or null when unknown or not ours. */
export function lastPid(procRoot: string): number | null {
    try {
        // /proc/loadavg reports the cursor of the reader's namespace: only valid when procRoot shows it.
        if (readlinkSync(`${procRoot}/self`) !== String(process.pid)) return null;
    } catch {
        return null;
    }
    const t = readProcFile(`${procRoot}/loadavg`);
    const m = t === null ? null : /\/\d+ (\d+)\s*$/.exec(t);
    return m ? Number(m[1]) : null;
}

export class KnownPids {
    private readonly others = new Map<number, { ino: number; changed: number; scan: number }>();
    private scan = 0;
    private seen = 0;
    private forks: number | null = null;
    private cursor: number | null = null;
    /** No process was created since the last scan: remembered pids need no check. */
    private unchanged = false;
    /** Pids in (newFrom, newTo] may be new since the last scan; null: any may be. */
    private newFrom: number | null = null;
    private newTo = 0;

    /** Call once before each pass over the pids. */
    startScan(procRoot: string): void {
        this.scan++;
        this.seen = 0;
        const full = this.scan % FULL_CHECK_EVERY === 0;
        const forks = forkCount(procRoot);
        const cursor = lastPid(procRoot);
        this.unchanged = !full && forks !== null && forks === this.forks;
        const created = forks !== null && this.forks !== null ? forks - this.forks : null;
        const advanced = cursor !== null && this.cursor !== null ? cursor - this.cursor : null;
        this.newFrom = !full && created !== null && advanced !== null && advanced >= created ? this.cursor : null;
        this.newTo = cursor ?? 0;
        this.forks = forks;
        this.cursor = cursor;
    }

    /** True when pid is a remembered non-sshd process that is certainly still the same process. */
    skip(procRoot: string, pid: number): boolean {
        const k = this.others.get(pid);
        if (k === undefined) return false;
        const maybeNew = !this.unchanged && (this.newFrom === null || (pid > this.newFrom && pid <= this.newTo));
        if (maybeNew) {
            const id = this.identity(procRoot, pid);
            if (id?.ino !== k.ino || k.changed !== id.ctimeMs) {
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
        return st ?? null;
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
