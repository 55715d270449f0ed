/** `idle-stop savings`: per watched box and in total, hours running and stopped, stops, and the dollars stopping saved. */
import type { SavingsReport } from "../aws/savings-report";
import { integerOption, parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { RuntimeError } from "../../../common/errors";
import { boxStackOption, regionOption } from "./common-options";

export const savings: Command = {
    name: "savings",
    usage: ["[--days N] [--json] [--price TYPE=USD_PER_HOUR]...", "[--region NAME]... [--stack NAME] [--profile NAME]"],
    summary: "hours running and stopped, stops by idle-stop and by others,\nand the money saved, per box, over the last N days",
    description: `Per watched instance and in total, over the last N whole days up to the current hour: hours
running (the agent's samples, hourly SampleCount x the box's sampleSeconds), hours stopped (the rest, from
the first hour with data), stops by idle-stop (the idle alarm's successful stop or hibernate
actions) and other stops (people, schedules), and money saved = hours stopped x the on-demand Linux
price of the instance type in its region (AWS Price List, cached a day). EBS volumes and Elastic
IPs cost the same running or stopped: neither saved nor subtracted. Without a price: hours only.
Needs cloudwatch:DescribeAlarms, ListTagsForResource, GetMetricData, DescribeAlarmHistory,
ec2:DescribeInstances and pricing:GetProducts.`,
    options: [
        { name: "days", type: "string", value: "N", description: "the window: 1 to 455 days (CloudWatch keeps hourly data 455 days; default 30)" },
        { name: "json", type: "boolean", description: "one JSON object (docs/reference/laptop.md#savings)" },
        {
            name: "price",
            type: "string",
            value: "TYPE=USD",
            multiple: true,
            description:
                "this on-demand price per hour for an instance type, instead of the Price List's\n(repeatable), e.g. --price t3.large=0.0832",
        },
        regionOption,
        boxStackOption,
        { name: "profile", type: "string", value: "NAME", description: "AWS profile (default: AWS_PROFILE, else the default profile)" },
    ],
    async run(argv) {
        const p = parseCommand(savings, argv);
        const days = integerOption("savings", p, "days", 30, 1, 455);
        const [{ readBoxes }, report, prices, { profileProblem }] = await Promise.all([
            import("../stack-outputs"),
            import("../aws/savings-report"),
            import("../aws/prices"),
            import("../aws/errors"),
        ]);
        const overrides = prices.parsePriceOverrides(stringsOption(p, "price"));
        const profile = stringOption(p, "profile");
        if (profile !== undefined) {
            const problem = profileProblem(profile);
            if (problem !== undefined) throw new RuntimeError(problem);
            process.env.AWS_PROFILE = profile;
        }
        const boxes = await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") });
        const result = await report.savingsReport(boxes, { ...report.lastDays(days), overrides, withStops: true });
        process.stdout.write(p.values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatSavings(result));
        return 0;
    },
};

const hours = (h: number): string => h.toFixed(1);
const dollars = (usd: number | null): string => (usd === null ? "-" : `$${usd.toFixed(2)}`);

/** A table, one row per box and the total, then the notes. */
export function formatSavings(r: SavingsReport): string {
    const head = ["box", "region", "type", "running h", "stopped h", "idle-stop stops", "other stops", "$/h", "saved"];
    const rows = r.boxes.map((b) => [
        b.name,
        b.region,
        b.instanceType ?? "?",
        hours(b.hoursRunning),
        hours(b.hoursStopped),
        String(b.stopsByIdleStop ?? "-"),
        String(b.otherStops ?? "-"),
        b.usdPerHour === null ? "-" : String(b.usdPerHour),
        dollars(b.savedUsd),
    ]);
    const t = r.total;
    rows.push([
        "total",
        "",
        "",
        hours(t.hoursRunning),
        hours(t.hoursStopped),
        String(t.stopsByIdleStop ?? "-"),
        String(t.otherStops ?? "-"),
        "",
        dollars(t.savedUsd),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    // Names left, figures right.
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
            .join("  ")
            .trimEnd();
    const lines = [
        `last ${r.days} days: ${r.from.slice(0, 13).replace("T", " ")}:00 to ${r.to.slice(0, 13).replace("T", " ")}:00 UTC` +
            (r.stopsFrom !== null && r.stopsFrom !== r.from
                ? ` (stops since ${r.stopsFrom.slice(0, 10)}: CloudWatch keeps alarm history 30 days)`
                : ""),
        line(head),
        ...rows.map(line),
    ];
    if (r.priceSource.length > 0)
        lines.push(`prices: on-demand Linux, ${r.priceSource.join(" + ")}; EBS and Elastic IPs cost the same stopped: not counted`);
    for (const note of r.notes) lines.push(`note: ${note}`);
    return `${lines.join("\n")}\n`;
}
