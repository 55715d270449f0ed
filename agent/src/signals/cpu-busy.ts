// Signal: whole-machine CPU use between two reads of /proc/stat (the `cpu` line), for the optional
// busyCpuPercent rule: a batch job that keeps the CPUs busy counts as one active session, for
// sessionIdleSeconds after the last busy sample (the window rule, signal.ts BusyWindow).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BusySeen, BusyWindow, KeptUpShare, Reading, share, Signal } from "./signal";

interface CpuTimes {
    busy: number;
    total: number;
}

function readCpu(procRoot: string): CpuTimes | null {
    try {
        const line = readFileSync(join(procRoot, "stat"), "utf8").split("\n", 1)[0];
        const f = line.trim().split(/\s+/).slice(1).map(Number);
        if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return null;
        // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
        const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
        const idle = f[3] + (f[4] ?? 0);
        return { busy: total - idle, total };
    } catch {
        return null;
    }
}

export interface CpuUse {
    /** Busy percent since the last sample; null when off, on the first sample, or without /proc/stat. */
    cpuPercent: number | null;
    /** Counts now: busy in this sample, or within the window. */
    cpuBusy: boolean;
}

export class CpuBusy implements Signal<CpuUse> {
    readonly name = "cpu";
    private prev: CpuTimes | null = null;
    private readonly window: BusyWindow<number>;

    /** busyCpuPercent 0: off (/proc/stat is not read). windowMs: sessionIdleSeconds in ms. */
    constructor(
        private readonly procRoot: string,
        private readonly busyCpuPercent: number,
        windowMs = 0,
        seed: ReadonlyArray<BusySeen<number>> = [],
    ) {
        this.window = new BusyWindow(windowMs);
        this.window.seed(seed);
    }

    sample({ now }: { now: number }): Reading<CpuUse> {
        if (this.busyCpuPercent <= 0) return { active: 0, detail: { cpuPercent: null, cpuBusy: false } };
        const cpuPercent = this.percent();
        this.window.measured(now, new Map(cpuPercent !== null && cpuPercent >= this.busyCpuPercent ? [["cpu", cpuPercent]] : []));
        const cpuBusy = this.window.counting(now).length > 0;
        return { active: cpuBusy ? 1 : 0, detail: { cpuPercent, cpuBusy } };
    }

    /** The last busy time still inside the window, for the status file (a restart keeps counting it). */
    lastBusy(now: number): Array<BusySeen<number>> {
        return this.window.seen(now);
    }

    keptUp(r: Reading<CpuUse>): KeptUpShare[] {
        const pct = r.detail.cpuPercent === null ? "" : ` (${Math.round(r.detail.cpuPercent)}% now)`;
        return share("cpu", r.active, [`CPU busy >= ${this.busyCpuPercent}% within the window${pct}`]);
    }

    /** Percent of CPU time busy since the previous call; null on the first call or without /proc/stat. */
    private percent(): number | null {
        const cur = readCpu(this.procRoot);
        const prev = this.prev;
        this.prev = cur;
        if (cur === null || prev === null || cur.total <= prev.total) return null;
        return (100 * (cur.busy - prev.busy)) / (cur.total - prev.total);
    }
}
