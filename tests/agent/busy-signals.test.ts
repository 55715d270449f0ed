// The busy-process and GPU signals, the window rule, the KeptUpBy aggregation and the warning's
// list of signals, on synthetic /proc trees and pure functions (docs/reference/metric.md).
import * as assert from "node:assert/strict";
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BusyProcesses, humanUid, parseTicks, processName } from "../../agent/src/signals/busy-processes";
import { GpuBusy, GpuUse, parseGpuCsv } from "../../agent/src/signals/gpu-busy";
import type { Reading } from "../../agent/src/signals/signal";
import { BusyWindow, judge, keptUpList, mergeShares } from "../../agent/src/signals/signal";
import { sessionShares, SessionUse } from "../../agent/src/signals/session-use";
import { KeptUpAggregator } from "../../agent/src/daemon/kept-up-metric";
import { signalsOn, StopWarning, warningText } from "../../agent/src/daemon/stop-warning";
import { parseConfig } from "../../agent/src/config";
import { busySeedFromStatus } from "../../agent/src/daemon/activity";
import { ActivityTracker } from "../../agent/src/signals/activity-tracker";
import { activitySettings } from "../../agent/src/signals/sample";
import { tempDir } from "../support/agent";

interface P {
    pid: number;
    ppid?: number;
    uid?: number;
    comm?: string;
    cmdline?: string;
    tty?: number;
    flags?: number;
    own: number;
    reaped?: number;
    start?: number;
    cgroup?: string;
    /** Effective uid in status (default: uid); the /proc/PID directory's owner (default: uid). */
    euid?: number;
    dirUid?: number;
    /** /proc/PID/loginuid; default unset (4294967295). */
    loginuid?: number;
}

/** A /proc with just what the signal reads: PID/stat (ticks), the PID dir's owner, cmdline, comm, cgroup. */
class TickProc {
    readonly root = tempDir("idle-stop-tickproc-");

    set(p: P): this {
        const dir = join(this.root, String(p.pid));
        mkdirSync(dir, { recursive: true });
        const comm = p.comm ?? "proc";
        // fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ... starttime(22)
        const f = [
            "R",
            p.ppid ?? 1,
            p.pid,
            p.pid,
            p.tty ?? 0,
            -1,
            p.flags ?? 4194560,
            0,
            0,
            0,
            0,
            p.own,
            0,
            p.reaped ?? 0,
            0,
            20,
            0,
            1,
            0,
            p.start ?? 1000,
        ];
        while (f.length < 50) f.push(0);
        writeFileSync(join(dir, "stat"), `${p.pid} (${comm}) ${f.join(" ")}\n`);
        writeFileSync(join(dir, "comm"), `${comm}\n`);
        writeFileSync(join(dir, "cmdline"), p.cmdline ?? "");
        writeFileSync(join(dir, "cgroup"), p.cgroup ?? "0::/user.slice/user-1001.slice/session-3.scope\n");
        writeFileSync(join(dir, "loginuid"), String(p.loginuid ?? 4294967295));
        const uid = p.uid ?? 0;
        writeFileSync(join(dir, "status"), `Name:\t${comm}\nUid:\t${uid}\t${p.euid ?? uid}\t${uid}\t${uid}\nGid:\t0\t0\t0\t0\n`);
        chownSync(dir, p.dirUid ?? uid, 0);
        return this;
    }

    remove(pid: number): this {
        rmSync(join(this.root, String(pid)), { recursive: true, force: true });
        return this;
    }
}

const T0 = 1_800_000_000_000;
const periodMs = 60_000;

function signal(proc: TickProc, windowMs = 0, percent = 25): BusyProcesses {
    return new BusyProcesses(proc.root, percent, { measure: true, periodMs, windowMs, ownUid: 999, ownPid: 4242, uidMin: 1000 });
}

function busyNames(s: BusyProcesses, now: number): string[] {
    const r = s.sample({ now, sessions: [] });
    return s.keptUp(r).flatMap((x) => x.details);
}

describe("busy processes: a person's work over a share of one core", () => {
    it("parses stat (kernel threads and kthreadd's children are no one's work), names, human uids", () => {
        assert.equal(parseTicks("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 5 6 0 0 20 0 1 0 10 0 0"), null);
        assert.equal(parseTicks("77 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 5 6 0 0 20 0 1 0 10 0 0"), null);
        assert.deepEqual(parseTicks("900 (my (odd) name) R 1 900 900 34817 -1 4194304 0 0 0 0 50 10 7 3 20 0 1 0 4444 0 0"), {
            ppid: 1,
            tty: 34817,
            own: 60,
            reaped: 10,
            start: 4444,
        });
        assert.equal(processName("/usr/bin/python3\0-u\0/home/a/train.py\0--lr\0secret\0", "python3"), "python3 train.py");
        assert.equal(processName("make\0-j1\0", "make"), "make");
        assert.equal(processName("", "cc1"), "cc1");
        assert.equal(processName("bash\0-c\0while :; do :; done\0", "bash"), "bash");
        assert.equal(processName("/bin/\x1b[31mevil\0", "x"), "?[31mevil");
        assert.ok(processName(`${"a".repeat(500)}\0`, "x").length <= 60);
        // no argument that may be a secret: only one that names a script
        assert.equal(processName("sshpass\0-p\0SECRET\0ssh\0host\0", "sshpass"), "sshpass");
        assert.equal(processName("mysql\0-u\0root\0-pSECRET\0db\0", "mysql"), "mysql");
        assert.equal(processName("curl\0-H\0Authorization: Bearer X\0https://h/x?token=T\0", "curl"), "curl");
        assert.equal(processName("python3\0--key=/run/secret\0train.py\0", "python3"), "python3 train.py");
        assert.equal(processName("node\0server.js\0--token\0abc\0", "node"), "node server.js");
        assert.equal(processName("bash\0./train.sh\0", "bash"), "bash train.sh");
        assert.equal(processName("jupyter\0notebook\0", "jupyter"), "jupyter");
        assert.deepEqual(
            [0, 999, 1000, 1001, 65534, 61184, 65519, 100000].map((u) => humanUid(u, 1000)),
            [false, false, true, true, false, false, false, true],
        );
    });

    it("counts a human's busy process, root on a terminal and a container's root; never a daemon, the agent, nobody or an idle one", () => {
        const proc = new TickProc();
        const all: P[] = [
            { pid: 100, uid: 1001, cmdline: "python3\0train.py\0", own: 0 },
            { pid: 101, uid: 0, tty: 34816, cmdline: "make\0", own: 0 },
            { pid: 102, uid: 0, cmdline: "java\0", own: 0, cgroup: "0::/system.slice/docker-0123456789abcdef0123.scope\n" },
            { pid: 103, uid: 0, cmdline: "dockerd\0", own: 0, cgroup: "0::/system.slice/docker.service\n" },
            { pid: 104, uid: 0, cmdline: "unattended-upgrade\0", own: 0 },
            { pid: 105, uid: 999, cmdline: "agent-user-thing\0", own: 0 },
            { pid: 106, uid: 65534, cmdline: "nobody-thing\0", own: 0 },
            { pid: 107, uid: 1001, cmdline: "vscode-server\0", own: 0 },
            { pid: 4242, uid: 1001, cmdline: "the-agent\0", own: 0 },
        ];
        for (const p of all) proc.set(p);
        const s = signal(proc);
        assert.equal(s.sample({ now: T0, sessions: [] }).active, 0, "a first read is a baseline");
        // one minute later: 98% of a core each, except the idle VS Code server stand-in (3%)
        for (const p of all) proc.set({ ...p, own: p.pid === 107 ? 180 : 5880 });
        const r = s.sample({ now: T0 + periodMs, sessions: [] });
        assert.equal(r.active, 1, "all of them together add 1");
        assert.deepEqual(s.keptUp(r), [
            {
                signal: "process",
                adds: 1,
                details: ["python3 train.py (uid 1001) 98% of a core", "make (uid 0) 98% of a core", "java (uid 0) 98% of a core"],
            },
        ]);
        assert.deepEqual(r.detail.busy.map((b) => b.workOf).sort(), ["container", "terminal", "user"]);
    });

    it("root's job started by a person whose SSH session ended (no tty left) counts by its login uid", () => {
        const proc = new TickProc();
        const all: P[] = [
            { pid: 110, uid: 0, cmdline: "bash\0./train.sh\0", own: 0, loginuid: 1001 },
            { pid: 111, uid: 0, cmdline: "cron-job\0", own: 0 },
            { pid: 112, uid: 0, cmdline: "root-login\0", own: 0, loginuid: 0 },
        ];
        for (const p of all) proc.set(p);
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        for (const p of all) proc.set({ ...p, own: 6000 });
        const r = s.sample({ now: T0 + periodMs, sessions: [] });
        assert.deepEqual(
            r.detail.busy.map((b) => [b.pid, b.workOf]),
            [[110, "login"]],
        );
    });

    it("a job split over processes each under the threshold counts when a uid's together reach 4 x the threshold", () => {
        const proc = new TickProc();
        const workers: P[] = [];
        for (let i = 0; i < 8; i++) workers.push({ pid: 120 + i, uid: 1001, cmdline: "python3\0train.py\0", own: 0 });
        for (let i = 0; i < 3; i++) workers.push({ pid: 140 + i, uid: 1002, cmdline: "worker\0", own: 0 });
        workers.push({ pid: 150, uid: 0, cmdline: "daemon\0", own: 0 }, { pid: 151, uid: 0, cmdline: "daemon\0", own: 0 });
        for (const p of workers) proc.set(p);
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        // 20 % of a core each: 8 x 20 = 160 % for uid 1001; 3 x 20 = 60 % for uid 1002; root daemons never
        for (const p of workers) proc.set({ ...p, own: p.pid >= 150 ? 6000 * 0.2 * 10 : 1200 });
        assert.deepEqual(busyNames(s, T0 + periodMs), ["8 processes like python3 train.py (uid 1001) 160% of a core"]);
    });

    it("the owner is the real uid from /proc/PID/status, not the /proc/PID directory's owner (root when non-dumpable)", () => {
        const proc = new TickProc();
        const all: P[] = [
            { pid: 160, uid: 1001, dirUid: 0, cmdline: "nondumpable\0", own: 0 },
            { pid: 161, uid: 1001, euid: 0, dirUid: 0, cmdline: "setuid-helper\0", own: 0 },
            { pid: 162, uid: 0, dirUid: 1001, cmdline: "root-daemon\0", own: 0 },
        ];
        for (const p of all) proc.set(p);
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        for (const p of all) proc.set({ ...p, own: 6000 });
        const r = s.sample({ now: T0 + periodMs, sessions: [] });
        assert.deepEqual(
            r.detail.busy.map((b) => [b.pid, b.uid]),
            [
                [160, 1001],
                [161, 1001],
            ],
        );
    });

    it("a build's short-lived compilers count through make's reaped-children ticks, once", () => {
        const proc = new TickProc();
        proc.set({ pid: 200, uid: 1001, cmdline: "make\0-j1\0", own: 10 });
        proc.set({ pid: 201, ppid: 200, uid: 1001, cmdline: "gcc\0a.c\0", own: 0, start: 2000 });
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        // gcc ran 30 s more (3000 ticks in all by its end) and was reaped; 40 more compilers came and went
        proc.remove(201);
        proc.set({ pid: 200, uid: 1001, cmdline: "make\0-j1\0", own: 20, reaped: 3000 + 3000 });
        const r = s.sample({ now: T0 + periodMs, sessions: [] });
        // (20-10) + (6000 - 0 - 0 known at the last read) = 6010 ticks in 60 s
        assert.deepEqual(busyNames(s, T0 + periodMs), ["make (uid 1001) 100% of a core"]);
        assert.equal(r.active, 1);
        // what gcc had used by the last read is not counted again
        proc.set({ pid: 300, ppid: 200, uid: 1001, cmdline: "cc1\0", own: 2000, start: 3000 });
        s.sample({ now: T0 + 2 * periodMs, sessions: [] }); // make idle this minute, cc1 new (baseline)
        proc.remove(300);
        proc.set({ pid: 200, uid: 1001, cmdline: "make\0-j1\0", own: 20, reaped: 6000 + 2000 + 100 });
        s.sample({ now: T0 + 3 * periodMs, sessions: [] });
        assert.deepEqual(busyNames(s, T0 + 3 * periodMs), [], "cc1's 2000 ticks were seen; only 100 are new (2%)");
    });

    it("a kernel thread never counts; a user process that reuses its pid does", () => {
        const proc = new TickProc();
        proc.set({ pid: 50, flags: 0x00208040, own: 0, cmdline: "" });
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        proc.set({ pid: 50, flags: 0x00208040, own: 6000, cmdline: "" });
        assert.equal(s.sample({ now: T0 + periodMs, sessions: [] }).active, 0);
        // the kernel thread exits; a person's process gets its pid (a new /proc directory)
        proc.remove(50).set({ pid: 50, uid: 1001, cmdline: "job\0", own: 0, start: 9000 });
        s.sample({ now: T0 + 2 * periodMs, sessions: [] });
        proc.set({ pid: 50, uid: 1001, cmdline: "job\0", own: 6000, start: 9000 });
        assert.deepEqual(busyNames(s, T0 + 3 * periodMs), ["job (uid 1001) 100% of a core"]);
    });

    it("reads /proc once per period, not per sample", () => {
        const proc = new TickProc();
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 0 });
        const s = signal(proc);
        s.sample({ now: T0, sessions: [] });
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 6000 });
        assert.equal(s.sample({ now: T0 + 10_000, sessions: [] }).active, 0, "10 s later: not read again");
        assert.equal(s.sample({ now: T0 + periodMs, sessions: [] }).active, 1);
    });

    it("the window rule: counts for the window after it was last busy; window 0: while busy", () => {
        const proc = new TickProc();
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 0 });
        const windowed = signal(proc, 5 * periodMs);
        const zero = signal(proc, 0);
        for (const s of [windowed, zero]) s.sample({ now: T0, sessions: [] });
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 6000 });
        for (const s of [windowed, zero]) assert.equal(s.sample({ now: T0 + periodMs, sessions: [] }).active, 1);
        proc.remove(100); // the job finished
        const after = (s: BusyProcesses, k: number): number => s.sample({ now: T0 + k * periodMs, sessions: [] }).active;
        assert.equal(after(zero, 2), 0, "window 0: stops with the measurement that sees it idle");
        assert.equal(after(windowed, 2), 1);
        assert.match(busyNames(windowed, T0 + 3 * periodMs)[0], /x \(uid 1001\) 100% of a core, last busy 2m ago/);
        assert.equal(after(windowed, 5), 1);
        assert.equal(after(windowed, 6), 0, "stops counting within one window");
    });

    it("a restarted daemon keeps counting what was busy before, from its status file, until the window ends", () => {
        const proc = new TickProc();
        proc.set({ pid: 100, uid: 1001, cmdline: "python3\0train.py\0", own: 0 });
        const dev = tempDir();
        mkdirSync(join(dev, "pts"));
        const c = parseConfig(
            { procRoot: proc.root, devRoot: dev, sessionIdleSeconds: 3600, busyGpuPercent: 0, transferBytesPerMinute: 0, busyCpuPercent: 0 },
            "test",
        );
        const tracker = (seed?: ReturnType<typeof busySeedFromStatus>): ActivityTracker =>
            new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: T0 }, true, seed);
        const before = tracker();
        before.assess([], T0);
        proc.set({ pid: 100, uid: 1001, cmdline: "python3\0train.py\0", own: 6000 });
        assert.equal(before.assess([], T0 + periodMs).processes.busy.length, 1);
        // the job ends, the daemon writes its status file and restarts 10 minutes later
        const file: unknown = JSON.parse(JSON.stringify({ lastBusy: before.lastBusy(T0 + periodMs) }));
        proc.remove(100);
        const after = tracker(busySeedFromStatus(file as Parameters<typeof busySeedFromStatus>[0]));
        const first = after.assess([], T0 + periodMs + 600_000);
        assert.equal(first.active, 1, "counts from the restarted daemon's first sample");
        assert.deepEqual(
            first.processes.busy.map((b) => [b.name, b.lastBusyAgoSeconds]),
            [["python3 train.py", 600]],
        );
        assert.equal(after.assess([], T0 + periodMs + 3600_000).active, 0, "until its window ends");
        assert.deepEqual(busySeedFromStatus({ lastBusy: { process: [{ key: 1 }], transfer: { at: "x" } } as never }), {
            process: [],
            gpu: [],
            cpu: [],
            transfer: null,
        });
    });

    it("a clock stepped back keeps what was busy counting (with the window and without)", () => {
        const proc = new TickProc();
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 0 });
        const windowed = signal(proc, 5 * periodMs);
        const zero = signal(proc, 0);
        for (const s of [windowed, zero]) s.sample({ now: T0, sessions: [] });
        proc.set({ pid: 100, uid: 1001, cmdline: "x\0", own: 6000 });
        for (const s of [windowed, zero]) assert.equal(s.sample({ now: T0 + periodMs, sessions: [] }).active, 1);
        // the clock steps back an hour: the next read is a baseline, not "idle"
        for (const s of [windowed, zero]) assert.equal(s.sample({ now: T0 - 3600_000, sessions: [] }).active, 1);
        const w = new BusyWindow<string>(periodMs);
        w.measured(T0, new Map([["a", "a"]]));
        w.measured(T0 + 1, new Map());
        assert.deepEqual(w.counting(T0 - 3600_000), [{ value: "a", agoMs: 0 }], "an entry in the future counts as busy now");
    });

    it("busyProcessPercent 0 (or a status reader) reads nothing", () => {
        const proc = new TickProc();
        proc.set({ pid: 100, uid: 1001, own: 0 });
        const off = new BusyProcesses(proc.root, 0, { measure: true, periodMs, windowMs: 0 });
        const reader = new BusyProcesses(proc.root, 25, { measure: false, periodMs, windowMs: 0 });
        for (const s of [off, reader]) {
            s.sample({ now: T0, sessions: [] });
            proc.set({ pid: 100, uid: 1001, own: 6000 });
            assert.deepEqual(s.sample({ now: T0 + periodMs, sessions: [] }), { active: 0, detail: { busy: [], measuredAt: null } });
        }
    });
});

describe("GPU readings, the window, KeptUpBy, the warning", () => {
    it("parses nvidia-smi's csv; [N/A] and junk are left out", () => {
        assert.deepEqual(parseGpuCsv("0, 87\n1, 0\n2, [N/A]\nNVIDIA-SMI has failed\n\n"), [
            { index: "0", percent: 87 },
            { index: "1", percent: 0 },
        ]);
        assert.deepEqual(parseGpuCsv(""), []);
    });

    it("nvidia-smi failing after a good reading keeps the last busy GPUs counting until it works again; never worked: no signal", async () => {
        const dir = tempDir("idle-stop-smi-");
        const smi = join(dir, "nvidia-smi");
        writeFileSync(smi, `#!/bin/sh\n/bin/cat ${dir}/out\n: > ${dir}/ran\nexit $(/bin/cat ${dir}/rc)\n`, { mode: 0o755 });
        const answer = (out: string, rc: number): void => {
            writeFileSync(join(dir, "out"), out);
            writeFileSync(join(dir, "rc"), String(rc));
        };
        /** One query at `now`, then samples at `now` until its answer is in (a changed reading). */
        const read = async (g: GpuBusy, now: number, done: (r: Reading<GpuUse>) => boolean): Promise<Reading<GpuUse>> => {
            for (let r = g.sample({ now, sessions: [] }); ; r = g.sample({ now, sessions: [] })) {
                if (done(r)) return r;
                await new Promise((res) => setTimeout(res, 10));
            }
        };
        const gpu = (): GpuBusy => new GpuBusy(10, { measure: true, periodMs, windowMs: 0, path: dir });
        answer("0, 87\n", 0);
        const g = gpu();
        assert.equal((await read(g, T0, (r) => r.detail.gpus !== null)).active, 1, "busy at its reading");
        answer("", 9);
        const failing = await read(g, T0 + periodMs, (r) => r.detail.failingSince !== undefined);
        assert.equal(failing.active, 1, "still counts while nvidia-smi fails");
        assert.match(g.keptUp(failing)[0].details[0], /GPU 0 87% at the last good reading, nvidia-smi failing since /);
        answer("0, 0\n", 0);
        assert.equal((await read(g, T0 + 2 * periodMs, (r) => r.detail.gpus !== null)).active, 0, "a good idle reading ends it");
        answer("", 9);
        const never = gpu();
        rmSync(join(dir, "ran"));
        const r = await read(never, T0, () => existsSync(join(dir, "ran")));
        await new Promise((res) => setTimeout(res, 50)); // its exit reaches the signal
        assert.equal(r.active, 0);
        assert.equal(never.sample({ now: T0 + periodMs, sessions: [] }).detail.failingSince, undefined, "never worked: no signal");
    });

    it("BusyWindow keeps keys for the window, most recent first, bounded", () => {
        const w = new BusyWindow<string>(1000, 2);
        w.measured(0, new Map([["a", "A"]]));
        w.measured(100, new Map([["b", "B"]]));
        assert.deepEqual(
            w.counting(500).map((x) => x.value),
            ["B", "A"],
        );
        w.measured(200, new Map([["c", "C"]]));
        assert.deepEqual(
            w.counting(500).map((x) => x.value),
            ["C", "B"],
            "bounded: the oldest went",
        );
        assert.deepEqual(
            w.counting(1150).map((x) => x.value),
            ["C"],
        );
    });

    it("the judge merges shares per kind; adds sum to active", () => {
        const sig = (kind: "process" | "hold", n: number) => ({
            name: kind,
            sample: () => ({ active: n, detail: null }),
            keptUp: () => [{ signal: kind, adds: n, details: Array.from({ length: n }, (_, i) => `${kind} ${i}`) }],
        });
        const v = judge({ a: sig("hold", 2), b: sig("process", 1), c: sig("hold", 1), d: sig("process", 0) }, { now: 0, sessions: [] });
        assert.equal(v.active, 4);
        assert.deepEqual(
            v.keptUp.map((s) => [s.signal, s.adds]),
            [
                ["hold", 3],
                ["process", 1],
            ],
        );
        assert.deepEqual(keptUpList(mergeShares(v.keptUp))[3], { signal: "process", detail: "process 0" });
    });

    it("sessions keep the box up by terminal input, by traffic, or merely connected: one reason each", () => {
        const base = { since: "2026-12-03T10:00:00.000Z", uid: 1001, ppid: 1, comm: "sshd", title: "sshd: a", lastActivityAt: null };
        const judged: SessionUse[] = [
            { ...base, pid: 10, user: "alice", tty: "pts/1", ttys: ["pts/1"], inUse: true, idleSeconds: 12, by: "terminal" },
            { ...base, pid: 11, user: "bob", tty: null, ttys: [], inUse: true, idleSeconds: 90, by: "traffic" },
            { ...base, pid: 12, user: "carol", tty: null, ttys: [], inUse: true, idleSeconds: null, by: "connected" },
            { ...base, pid: 13, user: "dave", tty: "pts/2", ttys: ["pts/2"], inUse: false, idleSeconds: 9999, by: "terminal" },
            { ...base, pid: 14, user: "erin\u001b[2J", tty: "pts/3", ttys: ["pts/3"], inUse: true, idleSeconds: 0, by: "terminal" },
        ];
        assert.deepEqual(sessionShares(judged), [
            { signal: "terminal", adds: 2, details: ["alice pts/1 (pid 10): input 12s ago", "erin?[2J pts/3 (pid 14): input 0s ago"] },
            { signal: "traffic", adds: 1, details: ["bob no terminal (pid 11): client traffic 1m30s ago"] },
            { signal: "connected", adds: 1, details: ["carol no terminal (pid 12): connected"] },
        ]);
    });

    it("KeptUpBy: one datapoint per kind that kept the box up in the period, the Maximum of what it added", () => {
        const agg = new KeptUpAggregator(60_000, { ns: "IdleStop", iid: "i-0123456789abcdef0" });
        assert.deepEqual(agg.add([{ signal: "terminal", adds: 2, details: [] }], 0), []);
        agg.add([{ signal: "process", adds: 1, details: [] }], 10_000);
        agg.add([], 20_000);
        const done = agg.add([], 60_000);
        assert.deepEqual(
            done.map((d) => [d.mn, d.sig, d.t, d.n, d.sum, d.min, d.max]),
            [
                ["KeptUpBy", "terminal", 0, 3, 2, 0, 2],
                ["KeptUpBy", "process", 0, 3, 1, 0, 1],
            ],
        );
        assert.deepEqual(agg.take(), [], "a quiet period sends nothing");
    });

    it("the warning names the signals that are on, in lines wall does not fold; and warns again in the next idle stretch", async () => {
        const c = parseConfig({}, "test");
        const on = signalsOn(c);
        assert.deepEqual(on, ["typing", "SSH traffic", "a busy process (25% of a core)", "GPU >= 10%", "transfers >= 1 MiB/min", "keep-awake holds"]);
        const text = warningText(T0 + 5 * 60000, T0, on);
        assert.match(text, /^idle-stop: stops at .*\nWould keep it up: typing, SSH traffic, a busy process \(25% of a core\)/);
        for (const line of text.split("\n")) assert.ok(line.length <= 79, line);
        assert.match(text.replace(/\n {2}/g, " "), /GPU >= 10%, transfers >= 1 MiB\/min, keep-awake holds\.$/);
        const sent: string[] = [];
        const w = new StopWarning(5, 15, on, (m) => {
            sent.push(m);
            return Promise.resolve();
        });
        const min = 60_000;
        const results: number[] = [];
        // idle from T0: warned once at 10 min, not again in the same stretch
        for (const k of [0, 9, 10, 11, 12]) if (w.check(T0, T0 + k * min, () => undefined) !== null) results.push(k);
        w.check(null, T0 + 13 * min, () => undefined); // in use again
        // idle a second time, from 14 min: warned again at 24 min
        for (const k of [14, 23, 24, 25]) if (w.check(T0 + 14 * min, T0 + k * min, () => undefined) !== null) results.push(k);
        assert.deepEqual(results, [10, 24]);
        assert.equal(sent.length, 2);
        assert.match(sent[1], /Would keep it up: typing/);
        await Promise.resolve();
    });
});
