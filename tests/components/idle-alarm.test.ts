import { strict as assert } from "assert";
import { mockAws, runProgram } from "../support/pulumi-mocks";
import { named, single } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, createdConfig } from "../support/stack-configs";

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("idle alarm", () => {
    const regions = [
        { region: "us-east-1", partition: "aws" },
        { region: "eu-central-1", partition: "aws" },
        { region: "cn-northwest-1", partition: "aws-cn" },
        { region: "us-gov-west-1", partition: "aws-us-gov" },
    ];
    for (const { region, partition } of regions) {
        for (const idleMinutes of [1, 15, 90, 1440]) {
            it(`stops after ${idleMinutes} idle minutes in ${region} (${partition})`, async () => {
                mockAws.region = region;
                const run = await runProgram(adoptedConfig({ idleMinutes: String(idleMinutes) }));
                const alarm = named(run.resources, alarmType, "devbox-idle").inputs;
                assert.deepEqual(alarm.alarmActions, [`arn:${partition}:automate:${region}:ec2:stop`]);
                assert.deepEqual(alarm.dimensions, { InstanceId: adoptedInstanceId });
                assert.equal(alarm.namespace, "IdleStop");
                assert.equal(alarm.metricName, "ActiveSessions");
                assert.equal(alarm.period, 60);
                assert.equal(alarm.evaluationPeriods, idleMinutes);
                assert.equal(alarm.datapointsToAlarm, idleMinutes);
                assert.equal(alarm.statistic, "Maximum");
                assert.equal(alarm.comparisonOperator, "LessThanOrEqualToThreshold");
                assert.equal(alarm.threshold, 0);
                assert.equal(alarm.treatMissingData, "missing");
                // CloudWatch's own limit: period x evaluationPeriods <= one day.
                assert.ok(Number(alarm.period) * Number(alarm.evaluationPeriods) <= 86400);
            });
        }
    }

    it("watches the created instance's id and honours a custom namespace and metric name", async () => {
        mockAws.region = "us-west-2";
        const run = await runProgram(createdConfig({ namespace: "EC2", metricName: "SSH Connections" }));
        const instance = single(run.resources, "aws:ec2/instance:Instance");
        const alarm = named(run.resources, alarmType, "devbox-idle").inputs;
        assert.match(String((alarm.dimensions as Record<string, string>).InstanceId), /^i-0abc/);
        assert.equal(alarm.namespace, "EC2");
        assert.equal(alarm.metricName, "SSH Connections");
        assert.ok(instance);
    });
});
