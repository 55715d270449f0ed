// DescribeAlarmHistory for the local CloudWatch endpoint (cloudwatch-endpoint.ts): seeded items in
// the real answer's shape (AlarmHistoryItems of AlarmName, AlarmType, Timestamp, HistoryItemType,
// HistorySummary and HistoryData, a JSON string), newest first, MaxRecords a page with NextToken.

export interface HistoryItem {
    region: string;
    alarmName: string;
    /** ms since the epoch. */
    timestamp: number;
    type: "Action" | "StateUpdate" | "ConfigurationUpdate";
    summary: string;
    data: Record<string, unknown>;
}

function toMs(t: unknown): number {
    if (typeof t === "number") return Math.round(t * 1000);
    if (typeof t === "string") return /^\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : Date.parse(t);
    return NaN;
}

export class AlarmHistory {
    private readonly items: HistoryItem[] = [];

    add(item: HistoryItem): void {
        this.items.push(item);
    }

    /** The item CloudWatch records when an alarm ran its action `arn` (succeeded or failed). */
    addAction(region: string, alarmName: string, timestamp: number, arn: string, succeeded = true): void {
        this.add({
            region,
            alarmName,
            timestamp,
            type: "Action",
            summary: `${succeeded ? "Successfully executed" : "Failed to execute"} action ${arn}`,
            data: {
                actionState: succeeded ? "Succeeded" : "Failed",
                stateUpdateTimestamp: timestamp - 1000,
                notificationResource: arn,
                publishedMessage: null,
            },
        });
    }

    clear(): void {
        this.items.length = 0;
    }

    /** Accepted DescribeAlarmHistory calls' answers: AlarmName, HistoryItemType, StartDate, EndDate filter; newest first. */
    describe(params: Record<string, unknown>, region: string): Record<string, unknown> {
        const start = params.StartDate === undefined ? -Infinity : toMs(params.StartDate);
        const end = params.EndDate === undefined ? Infinity : toMs(params.EndDate);
        const all = this.items
            .filter(
                (i) =>
                    i.region === region &&
                    (params.AlarmName === undefined || i.alarmName === params.AlarmName) &&
                    (params.HistoryItemType === undefined || i.type === params.HistoryItemType) &&
                    i.timestamp >= start &&
                    i.timestamp <= end,
            )
            .sort((a, b) => b.timestamp - a.timestamp);
        const from = typeof params.NextToken === "string" ? Number(params.NextToken) : 0;
        const size = typeof params.MaxRecords === "number" ? params.MaxRecords : 50;
        return {
            AlarmHistoryItems: all.slice(from, from + size).map((i) => ({
                AlarmName: i.alarmName,
                AlarmType: "MetricAlarm",
                Timestamp: i.timestamp / 1000,
                HistoryItemType: i.type,
                HistorySummary: i.summary,
                HistoryData: JSON.stringify(i.data),
            })),
            ...(from + size < all.length ? { NextToken: String(from + size) } : {}),
        };
    }
}
