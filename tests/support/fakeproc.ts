// Synthetic /proc trees for the agent's procRoot: just the files the agent reads
// (PID/comm, PID/cmdline, PID/stat, PID/status, and stat with btime).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./agent";

export interface FakeProcess {
    pid: number;
    comm: string;
    /** Process title as in `ps -o args` (written NUL-terminated, optionally NUL-padded). */
    title: string;
    ppid: number;
    uid: number;
    state?: string;
    /** Ticks since boot (CLK_TCK 100). */
    starttime?: number;
    /** Pad cmdline with this many NULs (setproctitle style). */
    pad?: number;
}

export class FakeProc {
    readonly root: string;

    /** The kernel's fork counter (`processes` in /proc/stat): every add() is a new process. */
    private forks = 1;

    constructor(readonly btime = 1_700_000_000) {
        this.root = tempDir("idle-stop-fakeproc-");
        this.writeStat();
    }

    private writeStat(): void {
        writeFileSync(join(this.root, "stat"), `cpu  1 2 3 4\nbtime ${this.btime}\nprocesses ${this.forks}\n`);
    }

    add(p: FakeProcess): this {
        this.forks++;
        this.writeStat();
        const dir = join(this.root, String(p.pid));
        // Like /proc: a (new) process gets a new directory, not new contents in the old one.
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "comm"), `${p.comm.slice(0, 15)}\n`);
        writeFileSync(join(dir, "cmdline"), `${p.title}\0${"\0".repeat(p.pad ?? 0)}`);
        const fields = [
            p.state ?? "S",
            p.ppid,
            p.pid,
            p.pid,
            0,
            -1,
            4194560,
            100,
            0,
            0,
            0,
            5,
            3,
            0,
            0,
            20,
            0,
            1,
            0,
            p.starttime ?? 12345,
            1000000,
            300,
        ];
        while (fields.length < 50) fields.push(0);
        writeFileSync(join(dir, "stat"), `${p.pid} (${p.comm.slice(0, 15)}) ${fields.join(" ")}\n`);
        writeFileSync(
            join(dir, "status"),
            `Name:\t${p.comm}\nState:\t${p.state ?? "S"}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nGid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n`,
        );
        return this;
    }

    remove(pid: number): this {
        rmSync(join(this.root, String(pid)), { recursive: true, force: true });
        return this;
    }

    /** Make a real process visible in the tree (a symlink to /proc/PID). */
    linkReal(pid: number): this {
        symlinkSync(`/proc/${pid}`, join(this.root, String(pid)));
        return this;
    }

    /** OpenSSH 9.2-style listener (pid 100), the parent of root sessions and monitors. */
    withListener(pid = 100, binary: "sshd" = "sshd"): this {
        return this.add({ pid, comm: binary, title: "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", ppid: 1, uid: 0 });
    }

    /** An authenticated session as OpenSSH shapes it: [priv] monitor (root) + user child. */
    addSession(opts: {
        pid: number;
        user: string;
        uid: number;
        tty: string | null;
        listener?: number;
        binary?: "sshd" | "sshd-session";
        starttime?: number;
    }): this {
        const bin = opts.binary ?? "sshd";
        const where = opts.tty ?? "notty";
        if (opts.uid === 0) {
            return this.add({
                pid: opts.pid,
                comm: bin,
                title: `${bin}: ${opts.user}@${where}`,
                ppid: opts.listener ?? 100,
                uid: 0,
                starttime: opts.starttime,
                pad: 40,
            });
        }
        this.add({
            pid: opts.pid - 1,
            comm: bin,
            title: `${bin}: ${opts.user} [priv]`,
            ppid: opts.listener ?? 100,
            uid: 0,
            starttime: opts.starttime,
        });
        return this.add({
            pid: opts.pid,
            comm: bin,
            title: `${bin}: ${opts.user}@${where}`,
            ppid: opts.pid - 1,
            uid: opts.uid,
            starttime: opts.starttime,
            pad: 40,
        });
    }
}
