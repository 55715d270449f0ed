/**
 * What CloudWatch remembers of a box's past, for `idle-stop savings` and `status`: the agent's
 * samples per hour (one GetMetricData per region for all its boxes) and the idle alarm's successful
 * stop actions (DescribeAlarmHistory). How they become hours and stops: docs/reference/laptop.md#savings.
 */
import { CloudWatchClient, DescribeAlarmHistoryCommand, GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { STOP_ACTION_PATTERN } from "../../../common/alarm-action";
import type { WatchedBox } from "../stack-outputs";
import { awsCall } from "./errors";
import { agentMetricQuery } from "./metric-query";

export const hourMs = 3_600_000;

/** GetMetricData takes at most 500 queries a call. */
const queriesPerCall = 500;

/**
 * Per box, the agent's samples in each clock hour of [from, to) that had any (hour start in ms ->
 * SampleCount). Hourly data is kept 455 days, so any window the command allows is answered.
 */
export async function hourlySamples(
    region: string,
    boxes: readonly WatchedBox[],
    from: Date,
    to: Date,
): Promise<Map<WatchedBox, Map<number, number>>> {
    const cloudwatch = new CloudWatchClient({ region });
    const result = new Map<WatchedBox, Map<number, number>>(boxes.map((b) => [b, new Map()]));
    // The first hour of a month leaves status an empty window, which CloudWatch would refuse.
    if (from.getTime() >= to.getTime()) return result;
    for (let first = 0; first < boxes.length; first += queriesPerCall) {
        const chunk = boxes.slice(first, first + queriesPerCall);
        const queries: MetricDataQuery[] = chunk.map((box, index) => agentMetricQuery(box, index, 3600, "SampleCount"));
        const metrics = [...new Set(chunk.map((b) => `${b.namespace}/${b.metricName}`))].join(", ");
        let token: string | undefined;
        do {
            const out = await awsCall({ action: "cloudwatch:GetMetricData", target: `${metrics} in ${region}` }, () =>
                cloudwatch.send(
                    // Newest first, as status's own query: the order of the answer does not matter here.
                    new GetMetricDataCommand({
                        StartTime: from,
                        EndTime: to,
                        ScanBy: "TimestampDescending",
                        MetricDataQueries: queries,
                        NextToken: token,
                    }),
                ),
            );
            for (const r of out.MetricDataResults ?? []) {
                const box = /^m(\d+)$/.test(r.Id ?? "") ? chunk[Number(r.Id?.slice(1))] : undefined;
                const hours = box && result.get(box);
                if (!hours) continue;
                (r.Timestamps ?? []).forEach((t, i) => {
                    const value = r.Values?.[i];
                    // Untrusted: a count is a finite number >= 0.
                    if (typeof value === "number" && Number.isFinite(value) && value > 0) {
                        const hour = Math.floor(new Date(t).getTime() / hourMs) * hourMs;
                        hours.set(hour, (hours.get(hour) ?? 0) + value);
                    }
                });
            }
            token = out.NextToken;
        } while (token);
    }
    return result;
}

/** The ARN of the action a history item says was executed successfully, if it was. */
function executedAction(item: { HistoryData?: string; HistorySummary?: string }): string | undefined {
    try {
        const data: unknown = JSON.parse(item.HistoryData ?? "");
        if (typeof data === "object" && data !== null) {
            const { actionState, notificationResource } = data as Record<string, unknown>;
            if (actionState !== undefined)
                return actionState === "Succeeded" && typeof notificationResource === "string" ? notificationResource : undefined;
        }
    } catch {
        /* not JSON: the summary says it too */
    }
    return /^Successfully executed action (\S+)$/.exec(item.HistorySummary ?? "")?.[1];
}

/** When the box's idle alarm successfully ran a stop (or hibernate) action in [from, to), oldest first; SNS notifications are not stops. */
export async function idleStopTimes(region: string, box: WatchedBox, from: Date, to: Date): Promise<number[]> {
    const cloudwatch = new CloudWatchClient({ region });
    const times: number[] = [];
    let token: string | undefined;
    do {
        const out = await awsCall({ action: "cloudwatch:DescribeAlarmHistory", target: `the alarm ${box.alarmName} in ${region}` }, () =>
            cloudwatch.send(
                new DescribeAlarmHistoryCommand({
                    AlarmName: box.alarmName,
                    HistoryItemType: "Action",
                    StartDate: from,
                    EndDate: to,
                    MaxRecords: 100,
                    NextToken: token,
                }),
            ),
        );
        for (const item of out.AlarmHistoryItems ?? []) {
            if (item.AlarmName !== box.alarmName || item.Timestamp === undefined) continue;
            const at = new Date(item.Timestamp).getTime();
            const action = executedAction(item);
            if (Number.isFinite(at) && at >= from.getTime() && at < to.getTime() && action !== undefined && STOP_ACTION_PATTERN.test(action))
                times.push(at);
        }
        token = out.NextToken;
    } while (token);
    return times.sort((a, b) => a - b);
}
