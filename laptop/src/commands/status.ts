/** `idle-stop status`: per watched box, EC2's state, the alarms, the last datapoint, when it should stop. */
import type { BoxStatus } from "../aws/box-status";
import type { MonthSaving } from "../aws/month-savings";
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { boxStackOption, regionOption } from "./common-options";

export const status: Command = {
    name: "status",
    usage: ["[--stack NAME] [--region NAME]... [--json]"],
    summary: "state, idle alarm, last datapoint, minutes idle, expected stop",
    description: `Per watched instance: EC2 state, the idle alarm's state, the last datapoint and its value,
minutes idle so far, when the alarm is expected to stop the box, the silent-agent alarm's state,
the next scheduled stop and start of a box with stopAt / startAt (read from its alarm's tags),
and this month's saving so far (as \`idle-stop savings\` counts it, with the prices it cached).
Needs ec2:DescribeInstances, cloudwatch:DescribeAlarms, cloudwatch:GetMetricData (and
cloudwatch:ListTagsForResource when the boxes are found from AWS).`,
    options: [boxStackOption, regionOption, { name: "json", type: "boolean", description: "one JSON array, one object per instance" }],
    async run(argv) {
        const p = parseCommand(status, argv);
        const [{ readBoxes }, { collectStatus }, { monthSavings, savingKey }] = await Promise.all([
            import("../stack-outputs"),
            import("../aws/box-status"),
            import("../aws/month-savings"),
        ]);
        const boxes = await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") });
        // Side by side: the saving line costs one more GetMetricData (and DescribeInstances) per region, not more time.
        const [states, saved] = await Promise.all([collectStatus(boxes), monthSavings(boxes)]);
        const statuses = states.map((s) => ({ ...s, savedThisMonth: saved.get(savingKey(s)) ?? { unknown: "not found" } }));
        process.stdout.write(p.values.json === true ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatus(statuses));
        return 0;
    },
};

const minuteMs = 60_000;

function clock(iso: string): string {
    return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

function formatSaving(m: MonthSaving): string {
    if ("unknown" in m) return `unknown: ${m.unknown}`;
    const stopped = `${m.hoursStopped.toFixed(1)} h stopped since ${m.since.slice(0, 10)}`;
    return m.savedUsd === null ? `${stopped} (hours only: ${m.noPrice})` : `$${m.savedUsd.toFixed(2)} (${stopped} at $${m.usdPerHour}/h)`;
}

/** "Mon-Fri 20:00 Europe/Berlin: next 2026-12-07 19:00 UTC (in 4 h 25 min)". */
function scheduledLine(schedule: string | undefined, zone: string, next: string | null, now: Date): string[] {
    if (schedule === undefined || next === null) return [];
    const minutes = Math.max(0, Math.round((Date.parse(next) - now.getTime()) / minuteMs));
    const left = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
    return [`${schedule} ${zone}: next ${clock(next)} (in ${left})`];
}

export function formatStatus(statuses: Array<BoxStatus & { savedThisMonth?: MonthSaving }>, now = new Date()): string {
    const lines: string[] = [];
    for (const s of statuses) {
        lines.push(`${s.name} (${s.instanceId}, ${s.region}${s.stack !== undefined ? `, ${s.stack}` : ""}): ${s.state}`);
        lines.push(`  idle alarm      ${s.idleAlarm.state ?? "not found"} (${s.idleAlarm.name})`);
        lines.push(
            `  last datapoint  ${s.lastDatapoint ? `${clock(s.lastDatapoint.timestamp)}: ${s.lastDatapoint.value} active` : "none in the last minutes"}`,
        );
        lines.push(`  idle            ${s.minutesIdle === null ? "unknown" : `${s.minutesIdle} of ${s.idleMinutes} minutes`}`);
        const stop =
            s.expectedStop === null
                ? s.state === "running"
                    ? "unknown (no recent datapoints)"
                    : "-"
                : `about ${clock(s.expectedStop)} (in ${Math.max(0, Math.round((Date.parse(s.expectedStop) - now.getTime()) / minuteMs))} min) if nobody connects`;
        lines.push(`  expected stop   ${stop}`);
        lines.push(`  silent alarm    ${s.silentAlarm.state ?? "not found"} (${s.silentAlarm.name})`);
        const zone = s.schedule?.timezone ?? "";
        lines.push(...scheduledLine(s.schedule?.stopAt, zone, s.nextScheduledStop, now).map((l) => `  scheduled stop  ${l}`));
        lines.push(...scheduledLine(s.schedule?.startAt, zone, s.nextScheduledStart, now).map((l) => `  scheduled start ${l}`));
        if (s.savedThisMonth !== undefined) lines.push(`  month's saving  ${formatSaving(s.savedThisMonth)}`);
    }
    return lines.join("\n") + "\n";
}
