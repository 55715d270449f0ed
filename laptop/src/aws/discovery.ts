/**
 * Finds every watched box in the account from AWS alone: the idle alarms (DescribeAlarms) in each
 * configured region and their tags (ListTagsForResource, common/box-tags.ts). Needs no Pulumi,
 * no stack state, no passphrase (docs/reference/laptop.md#finding-the-boxes). Every value read
 * is checked like the stack's outputs; an alarm with a bad one is skipped with a warning.
 */
import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { loadSharedConfigFiles } from "@smithy/shared-ini-file-loader";
import { parseBoxTags } from "../../../common/box-tags";
import { LAMBDA_ACTION_PATTERN, STOP_ACTION_PATTERN } from "../../../common/alarm-action";
import { UsageError } from "../../../common/errors";
import { REGION_ALLOWED, REGION_PATTERN } from "../../../common/aws-ids";
import { INSTANCE_ID_DIMENSION } from "../../../common/metric";
import { quotedPrintable } from "../../../common/printable";
import { programAgentDefaults } from "../../../common/agent-config";
import { fieldsProblem, WatchedBox } from "../stack-outputs";
import { awsCall } from "./errors";

/**
 * The regions to search: every `--region` given; else AWS_REGION, AWS_DEFAULT_REGION and the
 * profile's `region` (AWS_PROFILE, else default) together, without repeats.
 */
export async function configuredRegions(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
    for (const r of flags) if (!REGION_PATTERN.test(r)) throw new UsageError(`--region ${quotedPrintable(r)} is not ${REGION_ALLOWED}`);
    if (flags.length > 0) return [...new Set(flags)];
    const found = [env.AWS_REGION, env.AWS_DEFAULT_REGION];
    try {
        const { configFile } = await loadSharedConfigFiles();
        const profile = env.AWS_PROFILE || "default";
        found.push(configFile[profile]?.region);
    } catch {
        /* no config file: the variables alone */
    }
    const regions = [...new Set(found.filter((r): r is string => r !== undefined && r !== ""))];
    for (const r of regions)
        if (!REGION_PATTERN.test(r)) throw new UsageError(`region ${quotedPrintable(r)} (from the environment or profile) is not ${REGION_ALLOWED}`);
    if (regions.length === 0) throw new UsageError("no region to search: give --region NAME (repeatable), or set AWS_REGION or the profile's region");
    return regions;
}

function instanceIdOf(alarm: MetricAlarm): string | undefined {
    return alarm.Dimensions?.find((d) => d.Name === INSTANCE_ID_DIMENSION)?.Value;
}

async function allMetricAlarms(cloudwatch: CloudWatchClient, region: string): Promise<MetricAlarm[]> {
    const alarms: MetricAlarm[] = [];
    let token: string | undefined;
    do {
        const out = await awsCall({ action: "cloudwatch:DescribeAlarms", target: `the alarms in ${region}` }, () =>
            cloudwatch.send(new DescribeAlarmsCommand({ AlarmTypes: ["MetricAlarm"], MaxRecords: 100, NextToken: token })),
        );
        alarms.push(...(out.MetricAlarms ?? []));
        token = out.NextToken;
    } while (token);
    return alarms;
}

async function tagsOf(cloudwatch: CloudWatchClient, alarm: MetricAlarm, region: string): Promise<Map<string, string>> {
    const out = await awsCall(
        { action: "cloudwatch:ListTagsForResource", target: `alarm ${quotedPrintable(alarm.AlarmName ?? "")} in ${region}` },
        () => cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn })),
    );
    return new Map((out.Tags ?? []).flatMap((t) => (t.Key !== undefined && t.Value !== undefined ? [[t.Key, t.Value] as [string, string]] : [])));
}

/** The silent-agent alarm of the same instance: metric math over the agent's metric with its InstanceId (components/silent-agent-alarm.ts). */
function silentAlarmOf(alarms: MetricAlarm[], idle: MetricAlarm): string {
    const id = instanceIdOf(idle);
    const silent = alarms.find(
        (a) =>
            a !== idle &&
            (a.Metrics ?? []).some(
                (q) =>
                    q.MetricStat?.Metric?.Namespace === idle.Namespace &&
                    q.MetricStat?.Metric?.MetricName === idle.MetricName &&
                    q.MetricStat?.Metric?.Dimensions?.some((d) => d.Name === INSTANCE_ID_DIMENSION && d.Value === id),
            ),
    );
    return silent?.AlarmName ?? "";
}

/** One box from its idle alarm and the alarm's tags; a string says what is wrong, undefined: not an idle-stop alarm. */
function boxFrom(alarm: MetricAlarm, tags: Map<string, string>, alarms: MetricAlarm[], region: string): WatchedBox | string | undefined {
    const parsed = parseBoxTags(tags);
    if (parsed === undefined || typeof parsed === "string") return parsed;
    const silent = silentAlarmOf(alarms, alarm);
    const entry = {
        instanceId: instanceIdOf(alarm),
        region,
        idleMinutes: alarm.EvaluationPeriods,
        namespace: alarm.Namespace,
        metricName: alarm.MetricName,
        alarmName: alarm.AlarmName,
        sshHost: parsed.sshHost ?? "",
        sshUser: parsed.sshUser,
        sshPort: parsed.sshPort,
    };
    const problem = fieldsProblem(entry, ["instanceId", "region", "idleMinutes", "namespace", "metricName", "alarmName"]);
    if (problem !== undefined) return problem;
    // A silent alarm whose name is not plain text is shown as "not found" rather than dropping the box.
    const silentOk = silent !== "" && fieldsProblem({ silentAlarmName: silent }, ["silentAlarmName"]) === undefined;
    return {
        ...(entry as Omit<WatchedBox, "name" | "adopted" | "sshHostFixed" | "silentAlarmName" | "agentCommandUrn" | "payloadUrn" | "hibernate">),
        name: parsed.box,
        stack: parsed.stack,
        adopted: parsed.adopted,
        sshHostFixed: parsed.sshHost !== undefined,
        silentAlarmName: silentOk ? silent : "",
        // No tag: the default (an alarm of a deploy before the tag, too; docs/reference/laptop.md#savings).
        sampleSeconds: parsed.sampleSeconds ?? programAgentDefaults.sampleSeconds,
        ...(parsed.timezone !== undefined ? { schedule: { stopAt: parsed.stopAt, startAt: parsed.startAt, timezone: parsed.timezone } } : {}),
        // An idle alarm acting through a Lambda function is action hibernate (docs/reference/alarm-action.md).
        ...((alarm.AlarmActions ?? []).some((x) => LAMBDA_ACTION_PATTERN.test(x)) ? { hibernate: true } : {}),
        // Only a lifecycle run (deploy/destroy, which needs the stack) targets these.
        agentCommandUrn: "",
        payloadUrn: "",
    };
}

async function boxesIn(region: string, warn: (text: string) => void): Promise<WatchedBox[]> {
    const cloudwatch = new CloudWatchClient({ region });
    const alarms = await allMetricAlarms(cloudwatch, region);
    const candidates = alarms.filter(
        (a) => a.AlarmArn && instanceIdOf(a) !== undefined && (a.AlarmActions ?? []).some((x) => STOP_ACTION_PATTERN.test(x)),
    );
    const boxes: WatchedBox[] = [];
    for (const alarm of candidates) {
        const found = boxFrom(alarm, await tagsOf(cloudwatch, alarm, region), alarms, region);
        if (typeof found === "string") warn(`skipping the alarm ${quotedPrintable(alarm.AlarmName ?? "")} in ${region}: ${found}`);
        else if (found !== undefined) boxes.push(found);
    }
    return boxes;
}

/** Every watched box in these regions, sorted by name, then stack, then region. */
export async function discoverBoxes(regions: readonly string[], warn: (text: string) => void): Promise<WatchedBox[]> {
    const perRegion = await Promise.all(regions.map((r) => boxesIn(r, warn)));
    const key = (b: WatchedBox) => `${b.name}\0${b.stack ?? ""}\0${b.region}`;
    return perRegion.flat().sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
