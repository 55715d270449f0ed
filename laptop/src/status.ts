/**
 * `idle-stop status`, `start NAME`, `stop NAME`: what the stack's boxes are doing, from EC2
 * (state) and CloudWatch (the alarms, the agent's last datapoints).
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { RuntimeError } from "../../common/errors";
import { awsCall } from "./aws-errors";
import { addressOf, describeInstances, ec2Client, ensureRunning, InstanceView, stopInstance } from "./instances";
import { Progress } from "./progress";
import { boxNamed, readWatchedBoxes, WatchedBox } from "./stack-outputs";

export interface BoxStatus {
    readonly name: string;
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
}

const minuteMs = 60_000;

/** Consecutive datapoints <= 0, newest first, one minute apart. */
export function idleRun(timestamps: Date[], values: number[]): number {
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
export function expectedStopTime(newest: Date, run: number, idleMinutes: number): Date {
    return new Date(newest.getTime() + (idleMinutes - run + 1) * minuteMs);
}

async function alarmStates(cloudwatch: CloudWatchClient, names: string[], region: string): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    const out = await awsCall({ action: "cloudwatch:DescribeAlarms", target: `${names.join(", ")} in ${region}` },
        () => cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] })));
    for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName && alarm.StateValue) states.set(alarm.AlarmName, alarm.StateValue);
    }
    return states;
}

async function lastDatapoints(cloudwatch: CloudWatchClient, boxes: WatchedBox[], region: string, now: Date): Promise<Map<string, MetricDataResult>> {
    const windowMinutes = Math.max(...boxes.map((b) => b.idleMinutes)) + 10;
    const metrics = [...new Set(boxes.map((b) => `${b.namespace}/${b.metricName}`))].join(", ");
    const out = await awsCall({ action: "cloudwatch:GetMetricData", target: `${metrics} in ${region}` },
        () => cloudwatch.send(new GetMetricDataCommand({
            StartTime: new Date(now.getTime() - windowMinutes * minuteMs),
            EndTime: now,
            ScanBy: "TimestampDescending",
            MetricDataQueries: boxes.map((box, index) => ({
                Id: `m${index}`,
                ReturnData: true,
                MetricStat: {
                    Metric: { Namespace: box.namespace, MetricName: box.metricName, Dimensions: [{ Name: "InstanceId", Value: box.instanceId }] },
                    Period: 60,
                    Stat: "Maximum",
                },
            })),
        })));
    const byBox = new Map<string, MetricDataResult>();
    for (const result of out.MetricDataResults ?? []) {
        const index = Number(result.Id?.slice(1));
        if (boxes[index]) byBox.set(boxes[index].name, result);
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
            describeInstancesLenient(region, inRegion.map((b) => b.instanceId)),
            alarmStates(cloudwatch, inRegion.flatMap((b) => [b.alarmName, b.silentAlarmName]), region),
            lastDatapoints(cloudwatch, inRegion, region, now),
        ]);
        for (const box of inRegion) {
            const state = instances.get(box.instanceId)?.state ?? "unknown";
            const result = data.get(box.name);
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
                instanceId: box.instanceId,
                region,
                state,
                idleAlarm: { name: box.alarmName, state: idleState },
                silentAlarm: { name: box.silentAlarmName, state: alarms.get(box.silentAlarmName) ?? null },
                lastDatapoint: ts.length > 0 ? { timestamp: ts[0].toISOString(), value: vs[0] } : null,
                minutesIdle: run,
                idleMinutes: box.idleMinutes,
                expectedStop,
            });
        }
    }
    return statuses;
}

/** DescribeInstances fails as a whole for one unknown id; ask one by one then, so the rest still show. */
export async function describeInstancesLenient(region: string, ids: string[]): Promise<Map<string, InstanceView>> {
    const ec2 = ec2Client(region);
    try {
        return await describeInstances(ec2, ids);
    } catch (err) {
        if (!(err instanceof RuntimeError && /InvalidInstanceID/.test(err.message))) throw err;
        const merged = new Map<string, InstanceView>();
        if (ids.length === 1) return merged;
        for (const id of ids) for (const [k, v] of await describeInstancesLenient(region, [id])) merged.set(k, v);
        return merged;
    }
}

function clock(iso: string): string {
    return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

export function formatStatus(statuses: BoxStatus[], now = new Date()): string {
    const lines: string[] = [];
    for (const s of statuses) {
        lines.push(`${s.name} (${s.instanceId}, ${s.region}): ${s.state}`);
        lines.push(`  idle alarm      ${s.idleAlarm.state ?? "not found"} (${s.idleAlarm.name})`);
        lines.push(`  last datapoint  ${s.lastDatapoint ? `${clock(s.lastDatapoint.timestamp)}: ${s.lastDatapoint.value} active` : "none in the last minutes"}`);
        lines.push(`  idle            ${s.minutesIdle === null ? "unknown" : `${s.minutesIdle} of ${s.idleMinutes} minutes`}`);
        const stop = s.expectedStop === null ? (s.state === "running" ? "unknown (no recent datapoints)" : "-")
            : `about ${clock(s.expectedStop)} (in ${Math.max(0, Math.round((Date.parse(s.expectedStop) - now.getTime()) / minuteMs))} min) if nobody connects`;
        lines.push(`  expected stop   ${stop}`);
        lines.push(`  silent alarm    ${s.silentAlarm.state ?? "not found"} (${s.silentAlarm.name})`);
    }
    return lines.join("\n") + "\n";
}

export async function runStatus(options: { stack?: string; json: boolean }): Promise<number> {
    const boxes = await readWatchedBoxes(options.stack);
    const statuses = await collectStatus(boxes);
    process.stdout.write(options.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatus(statuses));
    return 0;
}

export async function runStart(options: { stack?: string; name: string }): Promise<number> {
    const box = boxNamed(await readWatchedBoxes(options.stack), options.name);
    const progress = new Progress();
    const woken = await ensureRunning(ec2Client(box.region), box.instanceId, { label: box.name, deadline: Date.now() + 600_000, pollMs: 2000, observer: progress });
    progress.done(`${box.name} is running`);
    const address = addressOf(woken.instance, "auto");
    process.stdout.write(`${box.name} (${box.instanceId}) is running${address ? ` at ${address}` : ""}${woken.started ? "" : " (it already was)"}\n`);
    return 0;
}

export async function runStop(options: { stack?: string; name: string }): Promise<number> {
    const box = boxNamed(await readWatchedBoxes(options.stack), options.name);
    const ec2 = ec2Client(box.region);
    const state = (await describeInstances(ec2, [box.instanceId])).get(box.instanceId)?.state ?? "unknown";
    if (state !== "running" && state !== "pending") {
        process.stdout.write(`${box.name} (${box.instanceId}) is ${state}; nothing to stop\n`);
        return state === "stopped" || state === "stopping" ? 0 : 1;
    }
    await stopInstance(ec2, box.instanceId);
    process.stdout.write(`${box.name} (${box.instanceId}) is stopping\n`);
    return 0;
}
