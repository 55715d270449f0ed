import { spawn } from "node:child_process";
import { userInfo } from "node:os";
import { Config } from "./config";
import { formatDuration, parseDuration } from "./duration";
import { errorMessage, RuntimeError, UsageError } from "./errors";
import { createHold, dropHold, Hold, removeHold, scanHolds, selfOwner } from "./holds";
import { listSessions, Session } from "./sessions";
import { Spool } from "./spool";
import { readStatus, staleAfterMs, StatusFile } from "./statusfile";
import { join } from "node:path";

function out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function ago(ms: number): string {
    return formatDuration(Math.max(0, ms));
}

export function cmdSessions(c: Config, json: boolean): number {
    const sessions = listSessions(c.procRoot);
    if (json) {
        out(JSON.stringify({ count: sessions.length, sessions }));
        return 0;
    }
    if (sessions.length === 0) {
        out("no authenticated SSH sessions");
        return 0;
    }
    const now = Date.now();
    out(`${sessions.length} authenticated SSH session${sessions.length === 1 ? "" : "s"}:`);
    for (const s of sessions) {
        out(`  ${s.user.padEnd(16)} ${(s.tty ?? "notty").padEnd(8)} pid ${String(s.pid).padEnd(7)} since ${s.since} (${ago(now - Date.parse(s.since))})`);
    }
    return 0;
}

export interface StatusReport {
    config: {
        path: string | null; instanceId: string | null; region: string | null; namespace: string; metricName: string;
        sampleSeconds: number; publishSeconds: number; stateDir: string; holdsDir: string; alarmName: string | null; idleMinutes: number | null;
    };
    daemon: { running: boolean; pid: number; mode: string; startedAt: string; updatedAt: string; rearm: string; rearmedAt: string | null } | null;
    active: number;
    sessions: Session[];
    holds: Hold[];
    lastPublishAt: string | null;
    lastError: string | null;
    backlog: number | null;
    oldestBacklog: string | null;
    idle: boolean;
    idleSince: string | null;
    idleMinutesSoFar: number | null;
    stopExpectedAt: string | null;
}

function backlogFromSpool(c: Config): number | null {
    try {
        return new Spool(join(c.stateDir, "spool.jsonl")).load().length;
    } catch {
        return null; // not readable for this user
    }
}

export function buildStatus(c: Config, now = Date.now()): StatusReport {
    const sessions = listSessions(c.procRoot);
    const holds = scanHolds(c.holdsDir, now).active;
    const active = sessions.length + holds.length;
    const st: StatusFile | null = readStatus(c.stateDir);
    // The daemon is considered running when it updated the file within 3 heartbeats.
    const fresh = st !== null && st.mode === "run" && now - Date.parse(st.updatedAt) <= staleAfterMs(st);
    let idleSince: number | null = null;
    if (active === 0 && st !== null) {
        // The daemon rewrites the file when its counts change, so while it runs and the file still
        // says active, its latest sample (on the sampleSeconds grid) saw activity.
        const sampleMs = st.sampleSeconds * 1000;
        const lastSample = fresh ? Math.max(Date.parse(st.updatedAt), Math.floor(now / sampleMs) * sampleMs) : Date.parse(st.updatedAt);
        idleSince = st.active > 0 ? lastSample : st.idleSince ? Date.parse(st.idleSince) : null;
    }
    const idleMinutes = c.idleMinutes ?? st?.idleMinutes ?? null;
    let stopAt: number | null = null;
    if (idleSince !== null && idleMinutes !== null) {
        // The alarm needs idleMinutes whole 60 s periods with Maximum <= 0; the first whole idle
        // period starts at the next minute boundary.
        stopAt = Math.ceil(idleSince / 60000) * 60000 + idleMinutes * 60000;
    }
    return {
        config: {
            path: c.source, instanceId: c.instanceId ?? st?.instanceId ?? null, region: c.region ?? null,
            namespace: c.namespace, metricName: c.metricName, sampleSeconds: c.sampleSeconds, publishSeconds: c.publishSeconds,
            stateDir: c.stateDir, holdsDir: c.holdsDir, alarmName: c.alarmName ?? null, idleMinutes,
        },
        daemon: st === null ? null : { running: fresh, pid: st.pid, mode: st.mode, startedAt: st.startedAt, updatedAt: st.updatedAt, rearm: st.rearm, rearmedAt: st.rearmedAt },
        active,
        sessions,
        holds,
        lastPublishAt: st?.lastPublishAt ?? null,
        lastError: st?.lastError ?? null,
        backlog: fresh ? st.backlog : (backlogFromSpool(c) ?? st?.backlog ?? null),
        oldestBacklog: st?.oldestBacklog ?? null,
        idle: active === 0,
        idleSince: idleSince === null ? null : new Date(idleSince).toISOString(),
        idleMinutesSoFar: idleSince === null ? (active > 0 ? 0 : null) : Math.floor((now - idleSince) / 60000),
        stopExpectedAt: stopAt === null ? null : new Date(stopAt).toISOString(),
    };
}

export function cmdStatus(c: Config, json: boolean): number {
    const now = Date.now();
    const r = buildStatus(c, now);
    if (json) {
        out(JSON.stringify(r, null, 2));
        return 0;
    }
    const lines: string[] = [];
    lines.push(`instance:     ${r.config.instanceId ?? "(not configured)"}  metric ${r.config.namespace}/${r.config.metricName}${r.config.region ? `  region ${r.config.region}` : ""}`);
    if (r.daemon === null) lines.push("daemon:       no status yet (is the idle-stop service running?)");
    else if (r.daemon.running) lines.push(`daemon:       running, pid ${r.daemon.pid}, since ${r.daemon.startedAt}; last sample ${ago(now - Date.parse(r.daemon.updatedAt))} ago`);
    else lines.push(`daemon:       NOT running (last ${r.daemon.mode} update ${r.daemon.updatedAt}, ${ago(now - Date.parse(r.daemon.updatedAt))} ago)`);
    lines.push(`sessions:     ${r.sessions.length}`);
    for (const s of r.sessions) lines.push(`  ${s.user.padEnd(16)} ${(s.tty ?? "notty").padEnd(8)} since ${s.since} (${ago(now - Date.parse(s.since))})`);
    lines.push(`holds:        ${r.holds.length}`);
    for (const h of r.holds) {
        const until = h.expiresAt ? `until ${h.expiresAt} (${ago(Date.parse(h.expiresAt) - now)} left)` : `while pid ${h.owner?.pid} runs${h.command ? ` (${h.command})` : ""}`;
        lines.push(`  ${h.id} ${h.user.padEnd(16)} ${until}${h.reason ? `  "${h.reason}"` : ""}`);
    }
    lines.push(`last publish: ${r.lastPublishAt ? `${r.lastPublishAt} (${ago(now - Date.parse(r.lastPublishAt))} ago)` : "never"}${r.lastError ? `; last error: ${r.lastError}` : ""}`);
    lines.push(`backlog:      ${r.backlog === null ? "unknown" : `${r.backlog} datapoint${r.backlog === 1 ? "" : "s"}`}${r.oldestBacklog ? ` (oldest ${r.oldestBacklog})` : ""}`);
    if (!r.idle) lines.push(`idle:         no (${r.active} active)`);
    else if (r.idleSince === null) lines.push("idle:         yes (since unknown: no daemon status)");
    else {
        let l = `idle:         ${r.idleMinutesSoFar} min (since ${r.idleSince})`;
        if (r.stopExpectedAt) {
            const left = Date.parse(r.stopExpectedAt) - now;
            l += left > 0 ? `; the alarm would stop the instance at about ${r.stopExpectedAt} (in ${ago(left)})` : `; the alarm should be stopping the instance (due ${r.stopExpectedAt})`;
        } else l += "; set idleMinutes in the agent config to see when the alarm would stop it";
        lines.push(l);
    }
    out(lines.join("\n"));
    return 0;
}

export function cmdHold(c: Config, duration: string | undefined, reason: string | undefined): number {
    if (duration === undefined) throw new UsageError("hold: DURATION is required, e.g. hold 2h --reason \"nightly build\"");
    const ms = parseDuration(duration);
    const h = createHold(c.holdsDir, { durationMs: ms, reason });
    out(`hold ${h.id} until ${h.expiresAt} (${formatDuration(ms)})${reason ? ` "${reason}"` : ""}`);
    return 0;
}

export function cmdRelease(c: Config, id: string | undefined, all: boolean): number {
    if (id !== undefined && all) throw new UsageError("release: give an ID or --all, not both");
    if (id !== undefined) {
        const matches = [...scanHolds(c.holdsDir).active, ...scanHolds(c.holdsDir).expired].filter((h) => h.id.startsWith(id));
        if (matches.length > 1) throw new UsageError(`release: "${id}" matches several holds`);
        removeHold(c.holdsDir, matches[0]?.id ?? id);
        out(`released ${matches[0]?.id ?? id}`);
        return 0;
    }
    const scan = scanHolds(c.holdsDir);
    const uid = process.getuid?.() ?? -1;
    const targets = [...scan.active, ...scan.expired].filter((h) => all || h.uid === uid);
    let released = 0;
    const failed: string[] = [];
    for (const h of targets) {
        try {
            removeHold(c.holdsDir, h.id);
            released++;
            out(`released ${h.id}${h.reason ? ` "${h.reason}"` : ""}`);
        } catch (e) {
            failed.push(errorMessage(e));
        }
    }
    if (targets.length === 0) out(all ? "no holds" : `no holds of ${userInfo().username}`);
    if (failed.length > 0) throw new RuntimeError(`${failed.length} hold(s) not released: ${failed.join("; ")}`);
    void released;
    return 0;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };

export function cmdKeepAwake(c: Config, command: string[], reason: string | undefined): Promise<number> {
    if (command.length === 0) throw new UsageError("keep-awake: give the command after --, e.g. keep-awake -- make build");
    const owner = selfOwner();
    const hold = createHold(c.holdsDir, { owner, reason: reason ?? `keep-awake ${command.join(" ")}`.slice(0, 200), command: command.join(" ").slice(0, 200) });
    const cleanup = (): void => dropHold(c.holdsDir, hold.id);
    process.on("exit", cleanup);
    return new Promise((resolve) => {
        const child = spawn(command[0], command.slice(1), { stdio: "inherit" });
        const forward = (sig: NodeJS.Signals) => (): void => {
            // On a terminal, Ctrl-C already reaches CMD (same process group): do not double it.
            if (sig === "SIGINT" && process.stdin.isTTY) return;
            try {
                child.kill(sig);
            } catch {
                /* gone */
            }
        };
        const handlers = Object.keys(SIGNALS).map((s) => {
            const sig = s as NodeJS.Signals;
            const h = forward(sig);
            process.on(sig, h);
            return [sig, h] as const;
        });
        const done = (code: number): void => {
            for (const [sig, h] of handlers) process.off(sig, h);
            cleanup();
            resolve(code);
        };
        child.on("error", (e) => {
            process.stderr.write(`keep-awake: cannot run ${command[0]}: ${errorMessage(e)}\n`);
            done(127);
        });
        child.on("exit", (code, signal) => {
            if (code !== null) done(code);
            else done(128 + (signal ? (SIGNALS[signal] ?? 1) : 1));
        });
    });
}
