// Counts authenticated SSH sessions from /proc (docs/reference/metric.md), without child processes.
//
// A session is an sshd process (comm `sshd` or `sshd-session`) whose title is
// `sshd: USER@pts/N`, `sshd: USER@notty` or the same with `sshd-session:`, and whose parent is a
// root-owned sshd/sshd-session (the listener for root logins, the `[priv]` monitor otherwise).
// Pre-auth titles (`[accepted]`, `[net]`, `unknown [priv]`, `USER [priv]`, `sshd-auth`,
// `[listener]`) never match the title pattern. Impostors fail the comm check (`exec -a`) or the
// parent check (a user's own binary called sshd is not a child of a root sshd).
import type { Identity, KnownPids } from "../system/known-pids";
import { listPids, readBootTime, readCmdline, readComm, readStat, readUid, startTimeMs } from "../system/proc";

export interface Session {
    pid: number;
    user: string;
    /** `pts/N`, or null for a session without a terminal (notty: scp, sftp, ssh host cmd; `ssh -N` tunnels). */
    tty: string | null;
    /** Every terminal of the connection: one multiplexed connection can hold several (`pts/1,pts/4`). */
    ttys: string[];
    /** ISO 8601 time the session process started (≈ login time). */
    since: string;
    uid: number | null;
    ppid: number;
    comm: string;
    title: string;
}

const SSHD_COMMS: ReadonlySet<string> = new Set(["sshd", "sshd-session"]);
// sshd lists all terminals of a connection, comma-separated, when it multiplexes several
// (ControlMaster, VS Code Remote-SSH): `sshd: alice@pts/1,pts/4`.
const TITLE = /^(?:sshd|sshd-session): (\S+)@(pts\/\d+(?:,pts\/\d+)*|notty)$/;
// An authenticated connection that has opened no session channel yet, or never will (`ssh -N -L`
// tunnels): the post-auth child is titled with the bare user name. Pre-auth titles always carry a
// bracketed suffix (`[priv]`, `[net]`, `[accepted]`) and never match.
const BARE = /^(?:sshd|sshd-session): ([^\s@[/]+)$/;

/** Parses a session title; null for anything that is not an authenticated session title. */
export function parseSessionTitle(title: string): { user: string; tty: string | null; ttys: string[] } | null {
    const bare = BARE.exec(title);
    if (bare) return { user: bare[1], tty: null, ttys: [] };
    const m = TITLE.exec(title);
    if (!m) return null;
    const ttys = m[2] === "notty" ? [] : m[2].split(",");
    return { user: m[1], tty: ttys[0] ?? null, ttys };
}

/** Boot time, read only when a session needs it (/proc/stat is one of the larger files to generate). */
function bootTimeReader(procRoot: string): () => number {
    let v: number | undefined;
    return () => (v ??= readBootTime(procRoot) ?? 0);
}

/**
 * The sessions now. A caller that scans again and again (the daemon) passes the same KnownPids
 * each time, so processes already known not to be sshd cost nothing, or one stat(2) when
 * processes were created since the last scan (see system/known-pids.ts).
 */
export function listSessions(procRoot = "/proc", known?: KnownPids): Session[] {
    const boot = bootTimeReader(procRoot);
    const out: Session[] = [];
    known?.startScan(procRoot);
    for (const pid of listPids(procRoot)) {
        let identity: Identity | null = null;
        if (known) {
            if (known.skip(procRoot, pid)) continue;
            identity = known.identity(procRoot, pid);
            if (identity === null) continue;
        }
        const comm = readComm(procRoot, pid);
        if (comm === null) continue;
        if (!SSHD_COMMS.has(comm)) {
            if (known && identity !== null) known.rememberOther(pid, identity);
            continue;
        }
        const title = readCmdline(procRoot, pid);
        if (title === null) continue;
        const parsed = parseSessionTitle(title);
        if (!parsed) continue;
        const st = readStat(procRoot, pid);
        if (!st || st.state === "Z" || st.state === "X") continue;
        const parentComm = readComm(procRoot, st.ppid);
        if (parentComm === null || !SSHD_COMMS.has(parentComm)) continue;
        if (readUid(procRoot, st.ppid) !== 0) continue;
        out.push({
            pid,
            user: parsed.user,
            tty: parsed.tty,
            ttys: parsed.ttys,
            since: new Date(startTimeMs(boot(), st.starttime)).toISOString(),
            uid: readUid(procRoot, pid),
            ppid: st.ppid,
            comm,
            title,
        });
    }
    known?.endScan();
    return out.sort((a, b) => a.pid - b.pid);
}
