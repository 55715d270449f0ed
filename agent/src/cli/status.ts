// `status`: the report of status-report.ts, as text for people or as JSON.
import { formatDuration } from "../system/duration";
import { Command } from "./command";
import { ago, out } from "./output";
import { buildStatus, StatusReport } from "./status-report";

export const statusCommand: Command = {
    name: "status",
    usage: "status [--json]",
    synopsis: "status [--json]",
    summary: "sessions, holds, last publish, backlog, idle so far",
    description: `Shows sessions (who, terminal or "no terminal", since when, idle for how long, whether they
count as in use), terminals sshd did not open that had input, keep-awake holds, the last
successful publish, the backlog, minutes idle so far and when the alarm would stop the instance
(needs idleMinutes in the config), and what keeps the box up now ("kept up by": typing, traffic,
other terminals, holds, busy processes, the GPU, transfers, CPU; the last few from the daemon).
With stopAt / startAt in the config: the next scheduled stop and start (a scheduled stop happens
whatever the box is doing). --json: connected, active, keptUpBy, idleSince, stopExpectedAt,
nextScheduledStop, nextScheduledStart, and per session inUse and
idleSeconds (null where unknown). Works for any user: reads the daemon's world-readable <stateDir>/status.json.
`,
    options: [{ flag: "--json" }],
    maxPositionals: 0,
    run(inv) {
        const c = inv.config();
        const now = inv.clock.wall();
        const r = buildStatus(c, now);
        out(inv.flags.has("--json") ? JSON.stringify(r, null, 2) : statusText(r, now).join("\n"));
        return 0;
    },
};

function statusText(r: StatusReport, now: number): string[] {
    const lines: string[] = [];
    lines.push(
        `instance:     ${r.config.instanceId ?? "(not configured)"}  metric ${r.config.namespace}/${r.config.metricName}${r.config.region ? `  region ${r.config.region}` : ""}`,
    );
    lines.push(daemonLine(r, now));
    lines.push(...sessionLines(r, now));
    if (r.traffic === "unavailable") lines.push("traffic:      unavailable (is `ss` installed?): sessions without a terminal count while connected");
    if (r.otherTerminals.inUse > 0) lines.push(`terminals:    ${r.otherTerminals.ttys.join(", ")} (not opened by sshd) had input: count as 1`);
    lines.push(...holdLines(r, now));
    lines.push(...keptUpLines(r));
    lines.push(
        `last publish: ${r.lastPublishAt ? `${r.lastPublishAt} (${ago(now - Date.parse(r.lastPublishAt))} ago)` : "never"}${r.lastError ? `; last error: ${r.lastError}` : ""}`,
    );
    lines.push(
        `backlog:      ${r.backlog === null ? "unknown" : `${r.backlog} datapoint${r.backlog === 1 ? "" : "s"}`}${r.oldestBacklog ? ` (oldest ${r.oldestBacklog})` : ""}`,
    );
    lines.push(idleLine(r, now));
    lines.push(...scheduleLines(r, now));
    return lines;
}

/** The fixed stop/start times and when they come next; nothing without a schedule. */
export function scheduleLines(r: Pick<StatusReport, "config" | "nextScheduledStop" | "nextScheduledStart">, now: number): string[] {
    const line = (label: string, schedule: string | null, next: string | null) =>
        schedule === null || next === null ? [] : [`${label}${schedule} ${r.config.timezone}: next ${next} (in ${ago(Date.parse(next) - now)})`];
    return [...line("stop at:      ", r.config.stopAt, r.nextScheduledStop), ...line("start at:     ", r.config.startAt, r.nextScheduledStart)];
}

function daemonLine(r: StatusReport, now: number): string {
    if (r.daemon === null) return "daemon:       no status yet (is the idle-stop service running?)";
    if (r.daemon.running)
        return `daemon:       running, pid ${r.daemon.pid}, since ${r.daemon.startedAt}; last sample ${ago(now - Date.parse(r.daemon.updatedAt))} ago`;
    return `daemon:       NOT running (last ${r.daemon.mode} update ${r.daemon.updatedAt}, ${ago(now - Date.parse(r.daemon.updatedAt))} ago)`;
}

function sessionLines(r: StatusReport, now: number): string[] {
    const rule =
        r.sessionIdleSeconds > 0
            ? `a session counts while used within ${formatDuration(r.sessionIdleSeconds * 1000)}`
            : "every connected session counts";
    const lines = [
        r.procHidden === null
            ? `sessions:     ${r.connected} connected, ${r.sessions.filter((s) => s.inUse).length} in use (${rule})`
            : `sessions:     unknown to you: ${r.procHidden}`,
    ];
    for (const s of r.sessions) {
        const where = s.ttys.length > 0 ? s.ttys.join(",") : "no terminal";
        const idle = s.idleSeconds === null ? "idle unknown" : `idle ${ago(s.idleSeconds * 1000)}`;
        const counts = s.inUse ? (s.by === "connected" ? "counts (connected)" : "counts") : "does not count";
        lines.push(`  ${s.user.padEnd(16)} ${where.padEnd(12)} since ${s.since} (${ago(now - Date.parse(s.since))})  ${idle.padEnd(18)} ${counts}`);
    }
    return lines;
}

function holdLines(r: StatusReport, now: number): string[] {
    const lines = [`holds:        ${r.holds.length}`];
    for (const h of r.holds) {
        const until = h.expiresAt
            ? `until ${h.expiresAt} (${ago(Date.parse(h.expiresAt) - now)} left)`
            : h.owner
              ? `while pid ${h.owner.pid} runs${h.command ? ` (${h.command})` : ""}`
              : "while the files are there";
        lines.push(`  ${h.id} ${h.user.padEnd(16)} ${until}${h.reason ? `  "${h.reason}"` : ""}`);
    }
    return lines;
}

/** "kept up by:" and one line per reason, or "nothing". */
function keptUpLines(r: StatusReport): string[] {
    if (r.keptUpBy.length === 0) return ["kept up by:   nothing"];
    return ["kept up by:", ...r.keptUpBy.map((k) => `  ${k.signal.padEnd(15)} ${k.detail}`)];
}

function idleLine(r: StatusReport, now: number): string {
    if (!r.idle) return `active:       ${r.active} (not idle)`;
    if (r.idleSince === null) return "idle:         yes (since unknown: no daemon status)";
    let l = `idle:         ${r.idleMinutesSoFar} min (since ${r.idleSince})`;
    if (r.stopExpectedAt) {
        const left = Date.parse(r.stopExpectedAt) - now;
        l +=
            left > 0
                ? `; the alarm would stop the instance at about ${r.stopExpectedAt} (in ${ago(left)})`
                : `; the alarm should be stopping the instance (due ${r.stopExpectedAt})`;
    } else l += "; set idleMinutes in the agent config to see when the alarm would stop it";
    return l;
}
