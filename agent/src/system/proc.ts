// Minimal readers for /proc (or a synthetic tree with the same layout). No child processes.
// Paths are built with template strings, not path.join: the daemon builds a few hundred per
// sample, and under node --lite-mode (no optimizing compiler) path.join costs as much as the stat.
import { readdirSync } from "node:fs";
import { readProcFile } from "./proc-read";

/** USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture node runs on. */
const CLOCK_TICKS = 100;

export interface ProcStat {
    pid: number;
    comm: string;
    state: string;
    ppid: number;
    /** utime + stime in ticks. */
    cpuTicks: number;
    /** Start time in ticks since boot. */
    starttime: number;
}

function readText(path: string): string | null {
    return readProcFile(path); // null: gone, or not ours to read
}

export function listPids(procRoot: string): number[] {
    let names: string[];
    try {
        names = readdirSync(procRoot);
    } catch {
        return [];
    }
    const pids: number[] = [];
    for (const n of names) {
        // Pid directories are all digits; every other entry of /proc starts with a letter.
        const c = n.charCodeAt(0);
        if (c >= 48 && c <= 57) pids.push(Number(n));
    }
    return pids;
}

export function readComm(procRoot: string, pid: number): string | null {
    const t = readText(`${procRoot}/${pid}/comm`);
    return t === null ? null : t.replace(/\n$/, "");
}

/** The process title as `ps -o args` shows it (NULs as spaces, trailing padding removed). */
export function readCmdline(procRoot: string, pid: number): string | null {
    const t = readText(`${procRoot}/${pid}/cmdline`);
    if (t === null) return null;
    return t.replace(/\0+$/, "").replace(/\0/g, " ").trim();
}

export function parseStat(text: string): ProcStat | null {
    // comm may contain spaces and parentheses: it ends at the LAST ')'.
    const open = text.indexOf("(");
    const close = text.lastIndexOf(")");
    if (open < 0 || close < open) return null;
    const pid = Number(text.slice(0, open).trim());
    const rest = text
        .slice(close + 2)
        .trim()
        .split(/\s+/);
    // rest[0] = field 3 (state); field N is rest[N - 3].
    if (rest.length < 20) return null;
    const num = (field: number): number => Number(rest[field - 3]);
    const st: ProcStat = {
        pid,
        comm: text.slice(open + 1, close),
        state: rest[0],
        ppid: num(4),
        cpuTicks: num(14) + num(15),
        starttime: num(22),
    };
    if (![st.pid, st.ppid, st.cpuTicks, st.starttime].every(Number.isFinite)) return null;
    return st;
}

export function readStat(procRoot: string, pid: number): ProcStat | null {
    const t = readText(`${procRoot}/${pid}/stat`);
    return t === null ? null : parseStat(t);
}

/** Real uid from /proc/PID/status ("Uid: real effective saved fs"). */
export function readUid(procRoot: string, pid: number): number | null {
    const t = readText(`${procRoot}/${pid}/status`);
    if (t === null) return null;
    const m = /^Uid:\s+(\d+)/m.exec(t);
    return m ? Number(m[1]) : null;
}

/** Seconds since the epoch at boot (btime in /proc/stat). */
export function readBootTime(procRoot: string): number | null {
    const t = readText(`${procRoot}/stat`);
    if (t === null) return null;
    const m = /^btime\s+(\d+)/m.exec(t);
    return m ? Number(m[1]) : null;
}

/** Wall-clock start of a process in ms since the epoch. */
export function startTimeMs(bootTime: number, starttimeTicks: number): number {
    return Math.round((bootTime + starttimeTicks / CLOCK_TICKS) * 1000);
}

/** True when pid is alive (not a zombie) and started at the given tick count (guards pid reuse). */
export function processAlive(procRoot: string, pid: number, starttime?: number): boolean {
    const st = readStat(procRoot, pid);
    if (st === null || st.state === "Z" || st.state === "X") return false;
    return starttime === undefined || st.starttime === starttime;
}
