// Signal: whole-machine CPU use between two reads of /proc/stat (the `cpu` line), for the optional
// busyCpuPercent rule: a batch job that keeps the CPUs busy counts as one active session.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Signal } from "./signal";

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
    cpuBusy: boolean;
}

export class CpuBusy implements Signal<CpuUse> {
    readonly name = "cpu";
    private prev: CpuTimes | null = null;

    /** busyCpuPercent 0: off (/proc/stat is not read). */
    constructor(
        private readonly procRoot: string,
        private readonly busyCpuPercent: number,
    ) {}

    sample(): { active: number; detail: CpuUse } {
        const cpuPercent = this.busyCpuPercent > 0 ? this.percent() : null;
        const cpuBusy = cpuPercent !== null && cpuPercent >= this.busyCpuPercent;
        return { active: cpuBusy ? 1 : 0, detail: { cpuPercent, cpuBusy } };
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
