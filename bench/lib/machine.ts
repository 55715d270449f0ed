// A description of the machine a run happened on, for RESULTS.md.
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";

export interface Machine {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    os: string;
    node: string;
}

export function describeMachine(): Machine {
    let cpuModel = cpus()[0]?.model ?? "unknown";
    try {
        const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
        if (m) cpuModel = m[1].trim();
    } catch {
        /* keep os.cpus() */
    }
    let os = "unknown";
    try {
        os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? os;
    } catch {
        /* unknown */
    }
    return {
        cpuModel,
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        kernel: release(),
        os,
        node: process.version,
    };
}
