// The alarms one deployed box has in CloudWatch (idle alarm with its box tags, silent-agent alarm, stop warning), for the local endpoint.
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
import { boxTags } from "../../common/box-tags";
import { CloudWatchEndpoint } from "../support/cloudwatch-endpoint";

export interface DeployedBox {
    region: string;
    box: string;
    stack: string;
    instanceId: string;
    sshUser?: string;
    sshPort?: number;
    sshHost?: string;
    idleMinutes?: number;
    /** The stack's sampleSeconds, written as the program writes it (a tag only when not 10). */
    sampleSeconds?: number;
    /** The idle alarm's action; default the EC2 stop action (a hibernating box's is its alarm-action function). */
    alarmAction?: string;
    /** Tags to write instead of the program's (hostile values). */
    tags?: Record<string, string>;
}

/** Adds the box's alarms the way components/idle-alarm.ts and silent-agent-alarm.ts shape them; returns the idle alarm's name. */
export function addDeployedBox(cw: CloudWatchEndpoint, b: DeployedBox): string {
    const suffix = b.instanceId.slice(-7);
    const idle = `${b.box}-idle-${suffix}`;
    const dims = [{ Name: "InstanceId", Value: b.instanceId }];
    const metric = { Namespace: "IdleStop", MetricName: "ActiveSessions", Dimensions: dims };
    const userTags = { "idle-stop": b.box };
    cw.addAlarm({
        region: b.region,
        name: idle,
        record: {
            ...metric,
            Statistic: "Maximum",
            Period: 60,
            EvaluationPeriods: b.idleMinutes ?? 30,
            AlarmActions: [b.alarmAction ?? `arn:aws:automate:${b.region}:ec2:stop`],
        },
        tags: b.tags ?? {
            ...userTags,
            ...boxTags({
                box: b.box,
                stack: b.stack,
                sshUser: b.sshUser ?? "ec2-user",
                sshPort: b.sshPort ?? 22,
                sshHost: b.sshHost,
                adopted: true,
                sampleSeconds: b.sampleSeconds,
            }),
        },
    });
    cw.addAlarm({
        region: b.region,
        name: `${b.box}-silent-${suffix}`,
        record: {
            Metrics: [
                { Id: "published", MetricStat: { Metric: metric, Period: 300, Stat: "SampleCount" }, ReturnData: false },
                {
                    Id: "running",
                    MetricStat: {
                        Metric: { Namespace: "AWS/EC2", MetricName: "CPUUtilization", Dimensions: dims },
                        Period: 300,
                        Stat: "SampleCount",
                    },
                },
            ],
            AlarmActions: [],
        },
        tags: userTags,
    });
    cw.addAlarm({
        region: b.region,
        name: `${b.box}-warning-${suffix}`,
        record: {
            ...metric,
            Statistic: "Maximum",
            Period: 60,
            EvaluationPeriods: 20,
            AlarmActions: [`arn:aws:sns:${b.region}:123456789012:idle-stop`],
        },
        tags: userTags,
    });
    return idle;
}

/** PATH without any directory that holds a `pulumi` (npm run puts node_modules/.bin first): the teammate has no Pulumi. */
export function pathWithoutPulumi(pathValue = process.env.PATH ?? ""): string {
    return pathValue
        .split(path.delimiter)
        .filter((dir) => {
            try {
                accessSync(path.join(dir, "pulumi"), constants.X_OK);
                return false;
            } catch {
                return true;
            }
        })
        .join(path.delimiter);
}
