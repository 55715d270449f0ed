/**
 * What the stack's boxes are doing, for `idle-stop status`: EC2's state, CloudWatch's alarms and
 * the agent's last datapoints, and from those when the idle alarm should stop each box.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import type { WatchedBox } from "../stack-outputs";
import { awsCall } from "./errors";
import { agentMetricQuery } from "./metric-query";
import { describeInstancesLenient } from "./instances";
import { printable } from "../../../common/printable";
import { nextOccurrence, parseSchedule } from "../../../common/schedule";

export interface BoxStatus {
    readonly name: string;
    /** The stack that watches it, when known (`project/stack` from AWS, or the --stack given). */
    readonly stack?: string;
    readonly instanceId: string;
    readonly region: string;
    /** EC2 state, or `unknown` when EC2 no longer knows the instance. */
    readonly state: string;
    readonly idleAlarm: { readonly name: string; readonly state: string | null };
    readonly silentAlarm: { readonly name: string; readonly state: string | null };
    /** The newest datapoint (one-minute Maximum of active sessions), if any in the window. */
    readonly lastDatapoint: { readonly timestamp: string; readonly value: number } | null;
    /** Consecutive idle minutes ending at the newest datapoint. */
    readonly minutesIdle: number | null;
    readonly idleMinutes: number;
    /** When the idle alarm should stop the box if nobody connects; null when it is not running or there is no data. */
    readonly expectedStop: string | null;
    /** The fixed stop/start times (stopAt, startAt, timezone), when the box has any. */
    readonly schedule?: WatchedBox["schedule"];
    /** When the schedule stops / starts the box next (ISO); null without one. */
    readonly nextScheduledStop: string | null;
    readonly nextScheduledStart: string | null;
}

/** The next scheduled stop and start after `now`, from the schedule the box's alarm tags carry. */
function nextScheduled(schedule: WatchedBox["schedule"], now: Date): { nextScheduledStop: string | null; nextScheduledStart: string | null } {
    const next = (text: string | undefined): string | null => {
        const s = text === undefined || schedule === undefined ? undefined : parseSchedule(text);
        return s === undefined ? null : new Date(nextOccurrence(s, schedule!.timezone, now.getTime())).toISOString();
    };
    return { nextScheduledStop: next(schedule?.stopAt), nextScheduledStart: next(schedule?.startAt) };
}

const minuteMs = 60_000;

/** Consecutive datapoints <= 0, newest first, one minute apart. */
function idleRun(timestamps: Date[], values: number[]): number {
    let run = 0;
    for (let i = 0; i < values.length; i++) {
        if (values[i] > 0) break;
        if (i > 0 && timestamps[i - 1].getTime() - timestamps[i].getTime() > minuteMs) break;
        run++;
    }
    return run;
}

/**
 * The alarm needs `idleMinutes` idle periods in a row; after the newest period (starting at
 * `newest`) `run` of them are there, and the alarm acts once the last needed period has ended.
 */
function expectedStopTime(newest: Date, run: number, idleMinutes: number): Date {
    return new Date(newest.getTime() + (idleMinutes - run + 1) * minuteMs);
}

async function alarmStates(cloudwatch: CloudWatchClient, all: string[], region: string): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    // A box found from AWS whose silent-agent alarm was not found has "" here.
    const names = [...new Set(all.filter((n) => n !== ""))];
    if (names.length === 0) return states;
    const out = await awsCall({ action: "cloudwatch:DescribeAlarms", target: `${names.join(", ")} in ${region}` }, () =>
        cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] })),
    );
    for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName && alarm.StateValue) states.set(alarm.AlarmName, printable(alarm.StateValue, 40));
    }
    return states;
}

async function lastDatapoints(
    cloudwatch: CloudWatchClient,
    boxes: WatchedBox[],
    region: string,
    now: Date,
): Promise<Map<WatchedBox, MetricDataResult>> {
    const windowMinutes = Math.max(...boxes.map((b) => b.idleMinutes)) + 10;
    const metrics = [...new Set(boxes.map((b) => `${b.namespace}/${b.metricName}`))].join(", ");
    const out = await awsCall({ action: "cloudwatch:GetMetricData", target: `${metrics} in ${region}` }, () =>
        cloudwatch.send(
            new GetMetricDataCommand({
                StartTime: new Date(now.getTime() - windowMinutes * minuteMs),
                EndTime: now,
                ScanBy: "TimestampDescending",
                MetricDataQueries: boxes.map((box, index) => agentMetricQuery(box, index, 60, "Maximum")),
            }),
        ),
    );
    // By box, not by name: two stacks may each watch a box of the same name.
    const byBox = new Map<WatchedBox, MetricDataResult>();
    for (const result of out.MetricDataResults ?? []) {
        const index = Number(result.Id?.slice(1));
        if (boxes[index]) byBox.set(boxes[index], result);
    }
    return byBox;
}

export async function collectStatus(boxes: WatchedBox[], now = new Date()): Promise<BoxStatus[]> {
    const statuses: BoxStatus[] = [];
    const regions = [...new Set(boxes.map((b) => b.region))];
    for (const region of regions) {
        const inRegion = boxes.filter((b) => b.region === region);
        const cloudwatch = new CloudWatchClient({ region });
        const [instances, alarms, data] = await Promise.all([
            describeInstancesLenient(
                region,
                inRegion.map((b) => b.instanceId),
            ),
            alarmStates(
                cloudwatch,
                inRegion.flatMap((b) => [b.alarmName, b.silentAlarmName]),
                region,
            ),
            lastDatapoints(cloudwatch, inRegion, region, now),
        ]);
        for (const box of inRegion) {
            const state = instances.get(box.instanceId)?.state ?? "unknown";
            const result = data.get(box);
            const timestamps = (result?.Timestamps ?? []).map((t) => new Date(t));
            const values = result?.Values ?? [];
            // ScanBy TimestampDescending: newest first; sort anyway, the order is what matters.
            const order = timestamps.map((_, i) => i).sort((a, b) => timestamps[b].getTime() - timestamps[a].getTime());
            const ts = order.map((i) => timestamps[i]);
            const vs = order.map((i) => values[i]);
            const run = vs.length > 0 ? idleRun(ts, vs) : null;
            const idleState = alarms.get(box.alarmName) ?? null;
            let expectedStop: string | null = null;
            if (state === "running" && run !== null) {
                expectedStop = idleState === "ALARM" ? now.toISOString() : expectedStopTime(ts[0], run, box.idleMinutes).toISOString();
            }
            statuses.push({
                name: box.name,
                ...(box.stack !== undefined ? { stack: box.stack } : {}),
                instanceId: box.instanceId,
                region,
                state,
                idleAlarm: { name: box.alarmName, state: idleState },
                silentAlarm: { name: box.silentAlarmName, state: alarms.get(box.silentAlarmName) ?? null },
                lastDatapoint: ts.length > 0 ? { timestamp: ts[0].toISOString(), value: vs[0] } : null,
                minutesIdle: run,
                idleMinutes: box.idleMinutes,
                expectedStop,
                ...(box.schedule !== undefined ? { schedule: box.schedule } : {}),
                ...nextScheduled(box.schedule, now),
            });
        }
    }
    return statuses;
}
