import { strict as assert } from "assert";
import { mockAws, programError, runProgram } from "../support/pulumi-mocks";
import { named, ofType, single } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, createdConfig } from "../support/stack-configs";

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";

function agentConfigOf(create: unknown): Record<string, unknown> {
    const match = /--config-b64 (\S+)/.exec(String(create));
    assert.ok(match, "install command carries the agent config");
    return JSON.parse(Buffer.from(match[1], "base64").toString("utf8"));
}

describe("never leak, never surprise", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    describe("without notifyEmail", () => {
        it("creates no SNS resources, no warning alarm, and a silent-agent alarm without actions", async () => {
            const run = await runProgram(adoptedConfig());
            assert.equal(ofType(run.resources, "aws:sns/topic:Topic").length, 0);
            assert.equal(ofType(run.resources, "aws:sns/topicSubscription:TopicSubscription").length, 0);
            assert.deepEqual(
                ofType(run.resources, alarmType)
                    .map((a) => a.name)
                    .sort(),
                ["devbox-idle", "devbox-silent"],
            );
            assert.deepEqual(named(run.resources, alarmType, "devbox-idle").inputs.alarmActions, ["arn:aws:automate:us-east-1:ec2:stop"]);
            assert.deepEqual(named(run.resources, alarmType, "devbox-silent").inputs.alarmActions, []);
            assert.equal(run.outputs.notificationTopicArn, undefined);
        });
    });

    describe("with notifyEmail", () => {
        it("creates one topic with an email subscription that hears the stop, the warning and a silent agent", async () => {
            const run = await runProgram(adoptedConfig({ notifyEmail: "dev@example.com", idleMinutes: "30", warnMinutes: "5" }));
            const topic = single(run.resources, "aws:sns/topic:Topic");
            const subscription = single(run.resources, "aws:sns/topicSubscription:TopicSubscription").inputs;
            const topicArn = String(run.outputs.notificationTopicArn);
            assert.match(topicArn, /^arn:aws:sns:us-east-1:123456789012:/);
            assert.equal(subscription.protocol, "email");
            assert.equal(subscription.endpoint, "dev@example.com");
            assert.equal(subscription.topic, topicArn);
            assert.ok(topic);

            const idle = named(run.resources, alarmType, "devbox-idle").inputs;
            assert.deepEqual(idle.alarmActions, ["arn:aws:automate:us-east-1:ec2:stop", topicArn]);

            const warning = named(run.resources, alarmType, "devbox-warning").inputs;
            assert.equal(warning.evaluationPeriods, 25, "30 idle minutes - 5 warning minutes");
            assert.equal(warning.datapointsToAlarm, 25);
            assert.deepEqual(warning.alarmActions, [topicArn], "the warning notifies; it never acts on the instance");
            for (const field of [
                "namespace",
                "metricName",
                "dimensions",
                "statistic",
                "period",
                "comparisonOperator",
                "threshold",
                "treatMissingData",
            ]) {
                assert.deepEqual(warning[field], idle[field], `warning and stop watch the same condition (${field})`);
            }
            assert.match(String(warning.alarmDescription), /idle-stop hold 2h/);

            const silent = named(run.resources, alarmType, "devbox-silent").inputs;
            assert.deepEqual(silent.alarmActions, [topicArn]);
        });

        it("sends to several comma-separated addresses", async () => {
            const run = await runProgram(adoptedConfig({ notifyEmail: "a@example.com, b@example.org" }));
            const endpoints = ofType(run.resources, "aws:sns/topicSubscription:TopicSubscription")
                .map((s) => s.inputs.endpoint)
                .sort();
            assert.deepEqual(endpoints, ["a@example.com", "b@example.org"]);
        });

        it("skips the warning when the idle period is not longer than the warning lead", async () => {
            const run = await runProgram(adoptedConfig({ notifyEmail: "dev@example.com", idleMinutes: "5", warnMinutes: "5" }));
            assert.deepEqual(
                ofType(run.resources, alarmType)
                    .map((a) => a.name)
                    .sort(),
                ["devbox-idle", "devbox-silent"],
            );
        });

        it("gives the agent no permission on any alarm (it re-arms them by publishing)", async () => {
            const run = await runProgram(adoptedConfig({ notifyEmail: "dev@example.com" }));
            const policy = JSON.parse(String(single(run.resources, "aws:iam/userPolicy:UserPolicy").inputs.policy));
            const actions: string[] = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
            assert.deepEqual(actions, ["cloudwatch:PutMetricData"]);
            const config = agentConfigOf(single(run.resources, "command:remote:Command").inputs.create);
            assert.equal(config.alarmName, run.outputs.alarmName);
            assert.equal(config.warningAlarmName, undefined);
        });

        it("rejects a malformed address", async () => {
            const error = await programError(adoptedConfig({ notifyEmail: "not-an-address" }));
            assert.match(error.message, /idle-stop:notifyEmail: "not-an-address" is not allowed; expected an email address/);
        });
    });

    describe("silent-agent alarm", () => {
        for (const [silentMinutes, periods] of [
            ["10", 2],
            ["5", 1],
            ["12", 3],
            ["60", 12],
        ] as const) {
            it(`fires after ${silentMinutes} silent minutes only while the instance runs (${periods} x 5 min)`, async () => {
                const run = await runProgram(adoptedConfig({ silentMinutes }));
                const silent = named(run.resources, alarmType, "devbox-silent").inputs;
                assert.equal(silent.evaluationPeriods, periods);
                assert.equal(silent.datapointsToAlarm, periods);
                assert.equal(silent.comparisonOperator, "GreaterThanOrEqualToThreshold");
                assert.equal(silent.threshold, 1);
                assert.equal(silent.treatMissingData, "notBreaching", "a stopped instance has no data and must not page");
                const queries = silent.metricQueries as Array<{
                    id: string;
                    expression?: string;
                    returnData?: boolean;
                    metric?: Record<string, unknown>;
                }>;
                const byId = Object.fromEntries(queries.map((q) => [q.id, q]));
                assert.equal(byId.silent.expression, "IF(running > 0 AND FILL(published, 0) == 0, 1, 0)");
                assert.equal(queries.filter((q) => q.returnData).length, 1, "exactly one query drives the alarm");
                assert.deepEqual(byId.running.metric, {
                    namespace: "AWS/EC2",
                    metricName: "CPUUtilization",
                    dimensions: { InstanceId: adoptedInstanceId },
                    period: 300,
                    stat: "SampleCount",
                });
                assert.deepEqual(byId.published.metric, {
                    namespace: "IdleStop",
                    metricName: "ActiveSessions",
                    dimensions: { InstanceId: adoptedInstanceId },
                    period: 300,
                    stat: "SampleCount",
                });
            });
        }

        it("rejects silentMinutes below one EC2 monitoring period", async () => {
            const error = await programError(adoptedConfig({ silentMinutes: "2" }));
            assert.match(error.message, /idle-stop:silentMinutes: "2" is not allowed; expected a whole number from 5 to 1440/);
        });
    });

    describe("action", () => {
        it("terminates a created throwaway box when asked", async () => {
            mockAws.region = "eu-west-1";
            const run = await runProgram(createdConfig({ action: "terminate" }));
            assert.deepEqual(named(run.resources, alarmType, "devbox-idle").inputs.alarmActions, ["arn:aws:automate:eu-west-1:ec2:terminate"]);
        });

        it("refuses to terminate an adopted instance unless allowTerminateAdopted is true", async () => {
            const error = await programError(adoptedConfig({ action: "terminate" }));
            assert.match(error.message, /idle-stop:action: "terminate" is not allowed; .*allowTerminateAdopted/);
            const run = await runProgram(adoptedConfig({ action: "terminate", allowTerminateAdopted: "true" }));
            assert.deepEqual(named(run.resources, alarmType, "devbox-idle").inputs.alarmActions, ["arn:aws:automate:us-east-1:ec2:terminate"]);
        });

        it("rejects an unknown action and a non-boolean allowTerminateAdopted", async () => {
            assert.match(
                (await programError(adoptedConfig({ action: "sleep" }))).message,
                /idle-stop:action: "sleep" .* one of "stop", "terminate", "hibernate"/,
            );
            assert.match(
                (await programError(adoptedConfig({ allowTerminateAdopted: "yes" }))).message,
                /idle-stop:allowTerminateAdopted: "yes" .* true or false/,
            );
        });
    });
});
