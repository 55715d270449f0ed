// Signal: a process of a person's work using at least busyProcessPercent of ONE core, averaged
// over a publish period, counts as one active session (all such processes together add 1), for
// sessionIdleSeconds after it was last seen busy (signal.ts BusyWindow). Per process, not per box:
// one single-threaded job on a 16-core box counts; so do a uid's processes each under the
// threshold that together reach 4 x the threshold (a job split over workers). Who "a person" is: docs/reference/metric.md.
//
// Cost: /proc/PID/stat of every process is read once per publish period (not per sample); the
// owner (Uid: of /proc/PID/status), loginuid, cgroup and cmdline only for the few processes over a
// tenth of the threshold.
import { readFileSync, statSync } from "node:fs";
import { listPids } from "../system/proc";
import { readProcFile } from "../system/proc-read";
import { formatDuration } from "../system/duration";
import { BusySeen, BusyWindow, KeptUpShare, Reading, share, Signal, SignalInput } from "./signal";

/** PF_KTHREAD in /proc/PID/stat's flags: a kernel thread. */
const PF_KTHREAD = 0x00200000;
/** uids that are never a person: nobody, and systemd's DynamicUser= range (system services). */
const NOBODY = 65534;
/** /proc/PID/loginuid of a process no login started (boot, systemd services): (uid_t)-1. */
const UNSET_LOGINUID = 4294967295;
const DYNAMIC_USERS = { min: 61184, max: 65519 };
/** The cgroup of a container's process (Docker, containerd/CRI, Podman), not of the daemons themselves. */
const CONTAINER_CGROUP = /(?:docker|libpod|cri-containerd|containerd)[-/][0-9a-f]{12,}/;
const NAME_MAX = 60;
/** Processes under the threshold count together (per uid) at GROUP_SHARE x the threshold; each must reach 1/SMALL_SHARE of it. */
const GROUP_SHARE = 4;
const SMALL_SHARE = 10;
const NO_THROW = { throwIfNoEntry: false, bigint: true } as const;

/** What counts as one process's CPU: ticks of its own and of its children it reaped. */
interface Ticks {
    start: number;
    ppid: number;
    tty: number;
    own: number;
    reaped: number;
}

export type WorkOf = "user" | "terminal" | "login" | "container";

export interface BusyProcess {
    pid: number;
    uid: number;
    /** The program and its first argument that is not an option, base names, printable ASCII. */
    name: string;
    /** Percent of one core over the last measured period. */
    percent: number;
    /** Why it is a person's work: a human uid, root on a terminal, root started from a person's login, or a container. */
    workOf: WorkOf;
}

export interface ProcessUse {
    /** Busy processes that count now (busy in the last period, or within the window). */
    busy: Array<BusyProcess & { lastBusyAgoSeconds: number }>;
    /** When /proc was last measured, or null (off, not measured yet, or `status`). */
    measuredAt: string | null;
}

export interface BusyProcessOptions {
    /** The daemon measures; `status` (a fresh process) shows the daemon's view instead. */
    measure: boolean;
    /** How often the processes are read: the publish period. */
    periodMs: number;
    /** The window rule: sessionIdleSeconds in ms (0: while busy). */
    windowMs: number;
    /** A restarted daemon's last-busy times from its status file (daemon/activity.ts). */
    seed?: ReadonlyArray<BusySeen<BusyProcess>>;
    /** Never counted: the agent's own user (unless root) and process. */
    ownUid?: number;
    ownPid?: number;
    /** Where human uids start (UID_MIN of /etc/login.defs). */
    uidMin?: number;
}

/** UID_MIN from /etc/login.defs (the first uid useradd gives a person), 1000 when not set. */
function loginUidMin(path = "/etc/login.defs"): number {
    try {
        const m = /^\s*UID_MIN\s+(\d+)\s*$/m.exec(readFileSync(path, "utf8"));
        if (m) return Number(m[1]);
    } catch {
        /* no login.defs */
    }
    return 1000;
}

/** Fields of /proc/PID/stat the signal needs; null for a kernel thread or an unreadable line. */
export function parseTicks(text: string): Ticks | null {
    return isKernelThread(text) ? null : ticksOf(text);
}

function isKernelThread(text: string): boolean {
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ", 7);
    return (Number(f[6]) & PF_KTHREAD) !== 0 || f[1] === "2";
}

function ticksOf(text: string): Ticks | null {
    const close = text.lastIndexOf(")");
    if (close < 0) return null;
    const f = text.slice(close + 2).split(" ", 20); // up to field 22 (starttime)
    // f[0] is field 3 (state): field N is f[N - 3].
    const num = (n: number): number => Number(f[n - 3]);
    const t: Ticks = { ppid: num(4), tty: num(7), own: num(14) + num(15), reaped: num(16) + num(17), start: num(22) };
    return Number.isFinite(t.own) && Number.isFinite(t.reaped) && Number.isFinite(t.start) ? t : null;
}

/** A uid a person logs in with (not root, not a system or service user). */
export function humanUid(uid: number, uidMin: number): boolean {
    return uid >= uidMin && uid !== NOBODY && !(uid >= DYNAMIC_USERS.min && uid <= DYNAMIC_USERS.max);
}

/** An argument that names a script: a file name with a script's extension, or a path; never a URL, `k=v` or `user@host`. */
const SCRIPT_ARG = /^[^-\s:?=@][^\s:?=@]*(?:\.(?:py|sh|js|mjs|cjs|ts|rb|pl|ipynb|R|jl|lua)|\/[^\s]*)$/;

/**
 * "/usr/bin/python3\0-u\0/home/a/train.py\0--lr\0..." -> "python3 train.py": the program and its
 * first argument that looks like a script (SCRIPT_ARG), base names only, or the program alone. Any
 * other argument may be a secret (`sshpass -p SECRET ssh`, `mysql -pSECRET`) or inline code
 * (`bash -c '...'`), and the status file is world-readable, so none of those is shown.
 */
export function processName(cmdline: string | null, comm: string): string {
    const args = (cmdline ?? "").split("\0").filter((a) => a !== "");
    const base = (a: string): string => a.replace(/\/+$/, "").split("/").pop() ?? a;
    const script = args.slice(1, 8).find((a) => SCRIPT_ARG.test(a));
    const words = args.length === 0 ? [comm] : [base(args[0]), ...(script === undefined ? [] : [base(script)])];
    return (
        words
            .join(" ")
            .replace(/[^\x20-\x7e]/g, "?")
            .slice(0, NAME_MAX) || "?"
    );
}

export class BusyProcesses implements Signal<ProcessUse> {
    readonly name = "busy-processes";
    private prev = new Map<number, Ticks>();
    private prevAt: number | null = null;
    /** Kernel threads seen at the last read: pid -> its /proc directory's identity. */
    private kthreads = new Map<number, string>();
    private readonly window: BusyWindow<BusyProcess>;
    private readonly uidMin: number;

    /** busyProcessPercent 0: off (nothing is read). */
    constructor(
        private readonly procRoot: string,
        private readonly busyProcessPercent: number,
        private readonly o: BusyProcessOptions,
    ) {
        this.window = new BusyWindow(o.windowMs);
        this.window.seed(o.seed ?? []);
        this.uidMin = o.uidMin ?? (busyProcessPercent > 0 && o.measure ? loginUidMin() : 1000);
    }

    sample({ now }: SignalInput): Reading<ProcessUse> {
        if (this.busyProcessPercent <= 0 || !this.o.measure) return { active: 0, detail: { busy: [], measuredAt: null } };
        if (this.prevAt === null || now - this.prevAt >= this.o.periodMs || now < this.prevAt) this.measure(now);
        const busy = this.window.counting(now).map(({ value, agoMs }) => ({ ...value, lastBusyAgoSeconds: Math.round(agoMs / 1000) }));
        return {
            active: busy.length > 0 ? 1 : 0,
            detail: { busy, measuredAt: this.prevAt === null ? null : new Date(this.prevAt).toISOString() },
        };
    }

    /** The last-busy times still inside the window, for the status file (a restart keeps counting them). */
    lastBusy(now: number): Array<BusySeen<BusyProcess>> {
        return this.window.seen(now);
    }

    keptUp(r: Reading<ProcessUse>): KeptUpShare[] {
        return share(
            "process",
            r.active,
            r.detail.busy.map((p) => {
                const when = p.lastBusyAgoSeconds > 0 ? `, last busy ${formatDuration(p.lastBusyAgoSeconds * 1000)} ago` : "";
                return `${p.name} (uid ${p.uid}) ${Math.round(p.percent)}% of a core${when}`;
            }),
        );
    }

    /** Reads every process's CPU ticks and records those of a person's work over the threshold. */
    private measure(now: number): void {
        const cur = new Map<number, Ticks>();
        const kthreads = new Map<number, string>();
        for (const pid of listPids(this.procRoot)) {
            // Kernel threads (often half of all pids) cost one stat(2) once known: the same pid
            // directory (inode and change time) is the same process (system/known-pids.ts says why).
            const known = this.kthreads.get(pid);
            if (known !== undefined && known === this.dirIdentity(pid)) {
                kthreads.set(pid, known);
                continue;
            }
            const text = readProcFile(`${this.procRoot}/${pid}/stat`);
            if (text === null) continue;
            if (isKernelThread(text)) {
                const id = this.dirIdentity(pid);
                if (id !== undefined) kthreads.set(pid, id);
                continue;
            }
            const t = ticksOf(text);
            if (t !== null) cur.set(pid, t);
        }
        this.kthreads = kthreads;
        const seconds = this.prevAt === null ? 0 : (now - this.prevAt) / 1000;
        const first = this.prevAt === null;
        const step = !first && (seconds <= 0 || seconds > (10 * this.o.periodMs) / 1000);
        // A first read is a baseline. A clock step is one too, but what was busy before it keeps
        // counting (the window is left as it was): a step must not stop a run.
        const busy = first || step ? new Map<string, BusyProcess>() : this.busyNow(cur, seconds);
        this.prev = cur;
        this.prevAt = now;
        if (!step) this.window.measured(now, busy);
    }

    private busyNow(cur: ReadonlyMap<number, Ticks>, seconds: number): Map<string, BusyProcess> {
        // Ticks of processes gone since the last read, by parent: their CPU until then was measured
        // already; what the parent's reaped counter gained beyond that is new work (a build's
        // short-lived compilers show up in make's counter, never as processes of their own).
        const goneByParent = new Map<number, number>();
        for (const [pid, p] of this.prev) {
            const c = cur.get(pid);
            if (c?.start !== p.start) goneByParent.set(p.ppid, (goneByParent.get(p.ppid) ?? 0) + p.own + p.reaped);
        }
        const found: Array<{ key: string; p: BusyProcess }> = [];
        const small: BusyProcess[] = [];
        for (const [pid, c] of cur) {
            const p = this.prev.get(pid);
            if (p?.start !== c.start || pid === this.o.ownPid) continue;
            const reaped = Math.max(0, c.reaped - p.reaped - (goneByParent.get(pid) ?? 0));
            const percent = (c.own - p.own + reaped) / seconds; // 100 ticks a second = 100 % of a core
            if (percent < this.busyProcessPercent / SMALL_SHARE) continue;
            const who = this.workOf(pid, c);
            if (who === null) continue;
            const name = processName(readProcFile(`${this.procRoot}/${pid}/cmdline`), this.comm(pid));
            const b: BusyProcess = { pid, uid: who.uid, name, percent, workOf: who.workOf };
            if (percent >= this.busyProcessPercent) found.push({ key: `${pid}@${c.start}`, p: b });
            else small.push(b);
        }
        found.push(...this.busyTogether(small));
        // The busiest first (what `status` lists first), then by pid.
        found.sort((a, b) => Math.round(b.p.percent) - Math.round(a.p.percent) || a.p.pid - b.p.pid);
        return new Map(found.map((f) => [f.key, f.p]));
    }

    /**
     * A job of several processes each under the threshold (8 DataLoader workers at 20 %): a uid's
     * such processes together at GROUP_SHARE x busyProcessPercent (100 % of a core by default)
     * count as one entry, named after the busiest with how many there are.
     */
    private busyTogether(small: readonly BusyProcess[]): Array<{ key: string; p: BusyProcess }> {
        const byUid = new Map<number, BusyProcess[]>();
        for (const b of small) byUid.set(b.uid, [...(byUid.get(b.uid) ?? []), b]);
        const out: Array<{ key: string; p: BusyProcess }> = [];
        for (const [uid, list] of byUid) {
            const percent = list.reduce((a, b) => a + b.percent, 0);
            if (list.length < 2 || percent < GROUP_SHARE * this.busyProcessPercent) continue;
            const top = [...list].sort((a, b) => b.percent - a.percent || a.pid - b.pid)[0];
            const name = `${list.length} processes like ${top.name}`.slice(0, NAME_MAX);
            out.push({ key: `uid ${uid}`, p: { ...top, name, percent } });
        }
        return out;
    }

    /** Whose work a busy process is, or null when it is not a person's (docs/reference/metric.md). */
    private workOf(pid: number, t: Ticks): { uid: number; workOf: WorkOf } | null {
        const uid = this.realUid(pid);
        if (uid === null) return null; // gone
        if (uid === this.o.ownUid && uid !== 0) return null;
        if (humanUid(uid, this.uidMin)) return { uid, workOf: "user" };
        if (uid === 0 && t.tty !== 0) return { uid, workOf: "terminal" };
        // `sudo nohup ./train.sh &` then logout: the kernel clears the controlling tty, but the
        // audit login uid (set at login, inherited, readable by all) still names the person.
        if (uid === 0 && this.loginUid(pid)) return { uid, workOf: "login" };
        const cgroup = readProcFile(`${this.procRoot}/${pid}/cgroup`);
        if (cgroup !== null && CONTAINER_CGROUP.test(cgroup)) return { uid, workOf: "container" };
        return null;
    }

    /**
     * The real uid (`Uid:` of /proc/PID/status, its first field): who started the process. Not the
     * /proc/PID directory's owner, which is root for a non-dumpable process (setuid, prctl), nor the
     * effective uid, which a setuid helper run by a person makes root.
     */
    private realUid(pid: number): number | null {
        const m = /^Uid:\s+(\d+)/m.exec(readProcFile(`${this.procRoot}/${pid}/status`) ?? "");
        return m ? Number(m[1]) : null;
    }

    /** Whether the process descends from a person's login: its /proc/PID/loginuid is a human uid (4294967295: unset). */
    private loginUid(pid: number): boolean {
        const text = readProcFile(`${this.procRoot}/${pid}/loginuid`);
        if (text === null || !/^\d+\s*$/.test(text)) return false;
        const uid = Number(text.trim());
        return uid !== UNSET_LOGINUID && humanUid(uid, this.uidMin);
    }

    private dirIdentity(pid: number): string | undefined {
        const st = statSync(`${this.procRoot}/${pid}`, NO_THROW);
        return st ? `${st.ino}:${st.ctimeNs}` : undefined;
    }

    private comm(pid: number): string {
        return (readProcFile(`${this.procRoot}/${pid}/comm`) ?? "?").replace(/\n$/, "");
    }
}
