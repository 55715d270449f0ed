import { spawn } from "node:child_process";
import { seedFromStatus } from "../daemon/activity";
import { ActivityTracker, SessionUse } from "../signals/session-use";
import { userInfo } from "node:os";
import { Config } from "../config";
import { formatDuration, parseDuration } from "../system/duration";
import { assertProcVisible, ProcHiddenError } from "../system/hidepid";
import { errorMessage, RuntimeError, UsageError } from "../../../common/errors";
import { createHold, dropHold, Hold, HOLD_REFRESH_MS, refreshHold, removeHold, scanHolds, selfOwner } from "../signals/holds";
import { inheritedIgnoredSignals, SIGIGN_ENV } from "../system/ignored-signals";
import { activitySettings } from "../signals/sample";
import { listSessions } from "../signals/sessions";
import { expectedStopAt } from "../daemon/stop-time";
import { Spool } from "../publish/spool";
import { readStatus, staleAfterMs, StatusFile } from "../daemon/status-file";
import { join } from "node:path";

function out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function ago(ms: number): string {
    return formatDuration(Math.max(0, ms));
}

export function cmdSessions(c: Config, json: boolean): number {
    assertProcVisible(c.procRoot);
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
        sessionIdleSeconds: number; trafficBytesPerMinute: number; downloadBytesPerMinute: number; sshPorts: number[]; busyCpuPercent: number; warnMinutes: number;
    };
    daemon: { running: boolean; pid: number; mode: string; startedAt: string; updatedAt: string; rearm: string; rearmedAt: string | null } | null;
    /** Authenticated SSH sessions, in use or not (ConnectedSessions). */
    connected: number;
    /** What the metric carries now: sessions in use + other terminals in use (as one) + holds. */
    active: number;
    /** 0: connected is enough (the original rule). */
    sessionIdleSeconds: number;
    sessions: SessionUse[];
    /** Terminals no SSH session owns (SSM, mosh, tmux, IDE terminals, consoles) with recent input; they count as one. */
    otherTerminals: { inUse: number; ttys: string[]; lastInputAt: string | null };
    /** The daemon's client-traffic measurement: "ok", "unavailable" (no `ss`), "not measured", or null without a daemon. */
    traffic: string | null;
    holds: Hold[];
    lastPublishAt: string | null;
    lastError: string | null;
    backlog: number | null;
    oldestBacklog: string | null;
    idle: boolean;
    idleSince: string | null;
    idleMinutesSoFar: number | null;
    stopExpectedAt: string | null;
    /** Why sessions could not be listed for this user (hidepid), else null. */
    procHidden: string | null;
}

function backlogFromSpool(c: Config): number | null {
    try {
        return new Spool(join(c.stateDir, "spool.jsonl")).load().length;
    } catch {
        return null; // not readable for this user
    }
}

export function buildStatus(c: Config, now = Date.now()): StatusReport {
    // Under hidepid an ordinary user cannot see others' sessions (nor their keep-awake holds'
    // processes): show the daemon's own count instead of a wrong one, and say why.
    let procHidden: string | null = null;
    try {
        assertProcVisible(c.procRoot);
    } catch (e) {
        if (!(e instanceof ProcHiddenError)) throw e;
        procHidden = e.message;
    }
    const holds = scanHolds(c.holdsDir, now).active;
    const st: StatusFile | null = readStatus(c.stateDir);
    // The daemon is considered running when it updated the file within 3 heartbeats.
    const fresh = st !== null && st.mode === "run" && now - Date.parse(st.updatedAt) <= staleAfterMs(st);
    // Terminals are judged here and now; sessions without a terminal by the daemon's traffic
    // measurements (only it runs `ss` over time); without a running daemon they count as connected.
    const tracker = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: now, seed: fresh ? seedFromStatus(st) : undefined });
    const use = tracker.assess(procHidden === null ? listSessions(c.procRoot) : [], now);
    const sessions = use.sessions;
    const active = procHidden === null ? use.active + holds.length : (st?.active ?? holds.length);
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
        stopAt = expectedStopAt(idleSince, idleMinutes);
    }
    return {
        config: {
            path: c.source, instanceId: c.instanceId ?? st?.instanceId ?? null, region: c.region ?? null,
            namespace: c.namespace, metricName: c.metricName, sampleSeconds: c.sampleSeconds, publishSeconds: c.publishSeconds,
            stateDir: c.stateDir, holdsDir: c.holdsDir, alarmName: c.alarmName ?? null, idleMinutes,
            sessionIdleSeconds: c.sessionIdleSeconds, trafficBytesPerMinute: c.trafficBytesPerMinute, downloadBytesPerMinute: c.downloadBytesPerMinute, sshPorts: c.sshPorts,
            busyCpuPercent: c.busyCpuPercent, warnMinutes: c.warnMinutes,
        },
        daemon: st === null ? null : { running: fresh, pid: st.pid, mode: st.mode, startedAt: st.startedAt, updatedAt: st.updatedAt, rearm: st.rearm, rearmedAt: st.rearmedAt },
        connected: procHidden === null ? use.connected : (st?.sessions ?? 0),
        active,
        sessionIdleSeconds: c.sessionIdleSeconds,
        sessions,
        otherTerminals: { inUse: use.otherTerminals.inUse, ttys: use.otherTerminals.ttys, lastInputAt: use.otherTerminals.lastInputAt },
        traffic: fresh ? (st.traffic ?? null) : null,
        holds,
        lastPublishAt: st?.lastPublishAt ?? null,
        lastError: st?.lastError ?? null,
        backlog: fresh ? st.backlog : (backlogFromSpool(c) ?? st?.backlog ?? null),
        oldestBacklog: st?.oldestBacklog ?? null,
        idle: active === 0,
        idleSince: idleSince === null ? null : new Date(idleSince).toISOString(),
        idleMinutesSoFar: idleSince === null ? (active > 0 ? 0 : null) : Math.floor((now - idleSince) / 60000),
        stopExpectedAt: stopAt === null ? null : new Date(stopAt).toISOString(),
        procHidden,
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
    const rule = r.sessionIdleSeconds > 0 ? `a session counts while used within ${formatDuration(r.sessionIdleSeconds * 1000)}` : "every connected session counts";
    lines.push(r.procHidden === null ? `sessions:     ${r.connected} connected, ${r.sessions.filter((s) => s.inUse).length} in use (${rule})` : `sessions:     unknown to you: ${r.procHidden}`);
    for (const s of r.sessions) {
        const where = s.ttys.length > 0 ? s.ttys.join(",") : "no terminal";
        const idle = s.idleSeconds === null ? "idle unknown" : `idle ${ago(s.idleSeconds * 1000)}`;
        const counts = s.inUse ? (s.by === "connected" ? "counts (connected)" : "counts") : "does not count";
        lines.push(`  ${s.user.padEnd(16)} ${where.padEnd(12)} since ${s.since} (${ago(now - Date.parse(s.since))})  ${idle.padEnd(18)} ${counts}`);
    }
    if (r.traffic === "unavailable") lines.push("traffic:      unavailable (is `ss` installed?): sessions without a terminal count while connected");
    if (r.otherTerminals.inUse > 0) lines.push(`terminals:    ${r.otherTerminals.ttys.join(", ")} (not opened by sshd) had input: count as 1`);
    lines.push(`holds:        ${r.holds.length}`);
    for (const h of r.holds) {
        const until = h.expiresAt ? `until ${h.expiresAt} (${ago(Date.parse(h.expiresAt) - now)} left)` : `while pid ${h.owner?.pid} runs${h.command ? ` (${h.command})` : ""}`;
        lines.push(`  ${h.id} ${h.user.padEnd(16)} ${until}${h.reason ? `  "${h.reason}"` : ""}`);
    }
    lines.push(`last publish: ${r.lastPublishAt ? `${r.lastPublishAt} (${ago(now - Date.parse(r.lastPublishAt))} ago)` : "never"}${r.lastError ? `; last error: ${r.lastError}` : ""}`);
    lines.push(`backlog:      ${r.backlog === null ? "unknown" : `${r.backlog} datapoint${r.backlog === 1 ? "" : "s"}`}${r.oldestBacklog ? ` (oldest ${r.oldestBacklog})` : ""}`);
    if (!r.idle) lines.push(`active:       ${r.active} (not idle)`);
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
    out(`hold ${h.id} until ${h.expiresAt} (${formatDuration(ms)})${h.reason ? ` "${h.reason}"` : ""}`);
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
    // Holds end MAX_HOLD_MS after their file last changed: keep ours fresh while CMD runs.
    const refresh = setInterval(() => refreshHold(c.holdsDir, hold.id), HOLD_REFRESH_MS);
    refresh.unref();
    // Signals our parent ignored (nohup: SIGHUP) stay ignored, for us and for CMD: node resets
    // them at start and libuv resets them for children, so CMD starts through a shell `trap ''`.
    const ignored = inheritedIgnoredSignals();
    const ignoredNames = Object.keys(SIGNALS).filter((s) => ignored.has(SIGNALS[s]));
    const env = { ...process.env };
    delete env[SIGIGN_ENV];
    return new Promise((resolve) => {
        const child = ignoredNames.length === 0
            ? spawn(command[0], command.slice(1), { stdio: "inherit", env })
            : spawn("/bin/sh", ["-c", `trap '' ${ignoredNames.map((s) => s.slice(3)).join(" ")}; exec "$@"`, command[0], ...command], { stdio: "inherit", env });
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
            const h = ignoredNames.includes(s) ? (): void => undefined : forward(sig);
            process.on(sig, h);
            return [sig, h] as const;
        });
        const done = (code: number): void => {
            clearInterval(refresh);
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
