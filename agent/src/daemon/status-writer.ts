// When the daemon rewrites its status file: when something a reader shows has changed, and at
// least every heartbeat otherwise (so `status` can tell a live daemon from a dead one), not after
// every sample. updatedAt, lastActiveAt, idle seconds and CPU use move every sample and say nothing new on their own:
// while the counts stay the same, the last sample saw what the file says (see buildStatus).
import { StatusFile, writeStatus } from "./status-file";

/** The heartbeat of a daemon with these intervals: one write per publish period at least. */
export function heartbeatSeconds(sampleSeconds: number, publishSeconds: number): number {
    return Math.max(sampleSeconds, publishSeconds);
}

export class StatusWriter {
    private lastKey = "";
    private lastWriteAt = -Infinity;

    constructor(
        private readonly stateDir: string,
        private readonly heartbeatMs: number,
    ) {}

    /** Writes when needed (or when forced); true when it wrote. */
    write(st: StatusFile, now: number, force = false): boolean {
        // idleSeconds and cpuPercent also move every sample; `status` recomputes them itself.
        const key = JSON.stringify({
            ...st,
            updatedAt: null,
            lastActiveAt: null,
            cpuPercent: null,
            // Reasons carry ages and percentages that move every sample: which kinds, and what they add, is the news.
            keptUpBy: st.keptUpBy?.map((k) => k.signal),
            sessionUse: st.sessionUse?.map((u) => ({ ...u, idleSeconds: null })),
        });
        if (!force && key === this.lastKey && now - this.lastWriteAt < this.heartbeatMs) return false;
        writeStatus(this.stateDir, st);
        this.lastKey = key;
        this.lastWriteAt = now;
        return true;
    }
}
