// The daemon's view for `status`: <stateDir>/status.json, world-readable, replaced atomically
// when it changes and at least every heartbeatSeconds (status-writer.ts), so an ordinary user (who
// cannot write stateDir) sees it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UseStatus } from "./activity";
import { writeFileAtomic } from "../system/fs-util";

export interface StatusFile extends Partial<UseStatus> {
    version: 1;
    pid: number;
    /** "run" (daemon) or "once". */
    mode: "run" | "once";
    startedAt: string;
    updatedAt: string;
    instanceId: string;
    namespace: string;
    metricName: string;
    sampleSeconds: number;
    publishSeconds: number;
    /** The daemon rewrites the file at least this often (absent in files of older agents: sampleSeconds). */
    heartbeatSeconds?: number;
    alarmName: string | null;
    idleMinutes: number | null;
    /** Last sample: sessions in use + other terminals in use (as one) + holds = active; `sessions` counts connected ones. */
    sessions: number;
    holds: number;
    active: number;
    /** Last sample that saw an active session or hold. */
    lastActiveAt: string | null;
    /** Start of the current idle stretch (never before the daemon started: it re-arms the alarm). */
    idleSince: string | null;
    lastPublishAt: string | null;
    lastError: string | null;
    backlog: number;
    oldestBacklog: string | null;
    /** The first period after a boot counts as in use (boot-rearm.ts); "disabled" was written by older agents. */
    rearm: "not-needed" | "pending" | "done" | "disabled";
    rearmedAt: string | null;
}

export function statusPath(stateDir: string): string {
    return join(stateDir, "status.json");
}

export function writeStatus(stateDir: string, s: StatusFile): void {
    // Only a view: readers never see it torn (rename), and after a crash the daemon's first sample
    // rewrites it, so no fsync.
    writeFileAtomic(statusPath(stateDir), `${JSON.stringify(s, null, 1)}\n`, 0o644, false);
}

/** How old the file of a live daemon can get: three heartbeats and some slack. */
export function staleAfterMs(s: StatusFile): number {
    return 3 * (s.heartbeatSeconds ?? s.sampleSeconds) * 1000 + 5000;
}

export function readStatus(stateDir: string): StatusFile | null {
    try {
        const v: unknown = JSON.parse(readFileSync(statusPath(stateDir), "utf8"));
        if (typeof v === "object" && v !== null && (v as { version?: unknown }).version === 1) return v as StatusFile;
    } catch {
        /* missing or unreadable */
    }
    return null;
}
