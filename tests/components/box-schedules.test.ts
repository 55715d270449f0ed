// stopAt/startAt/timezone on Pulumi mocks: the EventBridge Scheduler schedules, their role, the idle alarm's tags and agent.json; refusals at preview; nothing without a schedule.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { BOX_TAG, parseBoxTags } from "../../common/box-tags";
import { SCHEDULED_ACTION_SOURCE, scheduledActionEvent } from "../../common/scheduled-action";
import { declareBoxSchedules, resolveSchedules } from "../../components/box-schedules";
import { ConfigSource, readStackConfig } from "../../program/stack-config";
import { mockAws, ProgramRun, recorded, RecordedResource, runProgram, settle } from "../support/pulumi-mocks";
import { named, ofType } from "../support/resources";
import { adoptedConfig, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const scheduleType = "aws:scheduler/schedule:Schedule";
const roleType = "aws:iam/role:Role";
const rolePolicyType = "aws:iam/rolePolicy:RolePolicy";
const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";

interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: string;
    Principal?: { Service: string };
    Condition?: Record<string, Record<string, string>>;
}

const statements = (r: RecordedResource, key: string): Statement[] => (JSON.parse(String(r.inputs[key])) as { Statement: Statement[] }).Statement;

function agentJson(run: ProgramRun, box: string): Record<string, unknown> {
    const install = run.resources.find(
        (r) => r.type === "command:remote:Command" && r.name.startsWith(`${box}-`) && String(r.inputs.create).includes("--config-b64"),
    );
    assert.ok(install, `${box}'s install command`);
    const arg = /--config-b64 (\S+)/.exec(String(install.inputs.create));
    return JSON.parse(Buffer.from(arg![1], "base64").toString("utf8")) as Record<string, unknown>;
}

function configSource(config: Record<string, string>): ConfigSource {
    return { get: (key) => config[key], getSecret: (key) => (config[key] === undefined ? undefined : pulumi.secret(config[key])) };
}

describe("schedules (components/box-schedules.ts)", () => {
    beforeEach(() => {
        mockAws.region = "eu-central-1";
    });

    it("a fleet entry's own stopAt/startAt: schedules with the cron, the zone, no flexible window, the universal EC2 targets, a role for that instance only; another inherits the stack's stopAt in UTC", async () => {
        registerAdoptedInstance(aliceId);
        registerAdoptedInstance(bobId);
        const run = await runProgram({
            sshPrivateKey: testPrivateKey,
            sshUser: "ec2-user",
            // Stack-wide: bob inherits it.
            stopAt: "22:15",
            instances: JSON.stringify([
                { name: "alice", instanceId: aliceId, stopAt: "Mon-Fri 20:00", startAt: "mon,wed,fri 8:30", timezone: "Europe/Berlin" },
                { name: "bob", instanceId: bobId },
            ]),
        });
        const schedules = ofType(run.resources, scheduleType);
        assert.deepEqual(schedules.map((s) => s.name).sort(), ["alice-start-at", "alice-stop-at", "bob-stop-at"]);
        const stop = named(run.resources, scheduleType, "alice-stop-at").inputs;
        const start = named(run.resources, scheduleType, "alice-start-at").inputs;
        assert.equal(stop.scheduleExpression, "cron(0 20 ? * MON-FRI *)");
        assert.equal(start.scheduleExpression, "cron(30 8 ? * MON,WED,FRI *)");
        for (const s of [stop, start]) {
            assert.equal(s.scheduleExpressionTimezone, "Europe/Berlin");
            assert.deepEqual(s.flexibleTimeWindow, { mode: "OFF" });
            // Retried for 15 minutes at most, never hours later (Scheduler's default is a day).
            assert.deepEqual((s.target as Record<string, unknown>).retryPolicy, { maximumEventAgeInSeconds: 900, maximumRetryAttempts: 3 });
        }
        const stopTarget = stop.target as Record<string, string>;
        const startTarget = start.target as Record<string, string>;
        assert.equal(stopTarget.arn, "arn:aws:scheduler:::aws-sdk:ec2:stopInstances");
        assert.equal(startTarget.arn, "arn:aws:scheduler:::aws-sdk:ec2:startInstances");
        assert.deepEqual(JSON.parse(stopTarget.input), { InstanceIds: [aliceId] });
        assert.deepEqual(JSON.parse(startTarget.input), { InstanceIds: [aliceId] });

        const role = named(run.resources, roleType, "alice-schedule");
        assert.equal(stopTarget.roleArn, startTarget.roleArn);
        assert.match(stopTarget.roleArn, /^arn:aws:iam::123456789012:role\/alice-schedule/);
        assert.deepEqual(statements(role, "assumeRolePolicy"), [
            {
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            },
        ]);
        assert.deepEqual(statements(named(run.resources, rolePolicyType, "alice-schedule"), "policy"), [
            {
                Effect: "Allow",
                Action: ["ec2:StopInstances", "ec2:StartInstances"],
                Resource: `arn:aws:ec2:eu-central-1:123456789012:instance/${aliceId}`,
            },
        ]);
        const bobStop = named(run.resources, scheduleType, "bob-stop-at").inputs;
        assert.equal(bobStop.scheduleExpression, "cron(15 22 * * ? *)");
        assert.equal(bobStop.scheduleExpressionTimezone, "UTC");
        assert.deepEqual(JSON.parse((bobStop.target as Record<string, string>).input), { InstanceIds: [bobId] });
        assert.deepEqual(statements(named(run.resources, rolePolicyType, "bob-schedule"), "policy"), [
            { Effect: "Allow", Action: ["ec2:StopInstances"], Resource: `arn:aws:ec2:eu-central-1:123456789012:instance/${bobId}` },
        ]);

        // The laptop learns the schedule from the idle alarm's tags (no ',' in a tag value); the agent from agent.json.
        const tags = new Map(
            Object.entries(named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "alice-idle").inputs.tags as Record<string, string>),
        );
        assert.equal(tags.get(BOX_TAG.startAt), "Mon+Wed+Fri 08:30");
        const parsed = parseBoxTags(tags);
        assert.ok(typeof parsed === "object");
        assert.deepEqual([parsed.stopAt, parsed.startAt, parsed.timezone], ["Mon-Fri 20:00", "Mon,Wed,Fri 08:30", "Europe/Berlin"]);
        const bobTags = named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "bob-idle").inputs.tags as Record<string, string>;
        assert.deepEqual([bobTags[BOX_TAG.stopAt], bobTags[BOX_TAG.startAt], bobTags[BOX_TAG.timezone]], ["22:15", undefined, "UTC"]);
        const alice = agentJson(run, "alice");
        assert.deepEqual([alice.stopAt, alice.startAt, alice.timezone], ["Mon-Fri 20:00", "Mon,Wed,Fri 08:30", "Europe/Berlin"]);
        // And the stack's outputs, for the laptop with the stack at hand.
        const outputs = run.outputs.instances as Record<string, Record<string, unknown>>;
        assert.deepEqual(
            [outputs.alice.stopAt, outputs.alice.startAt, outputs.alice.timezone],
            ["Mon-Fri 20:00", "Mon,Wed,Fri 08:30", "Europe/Berlin"],
        );
        assert.deepEqual([outputs.bob.stopAt, "startAt" in outputs.bob, outputs.bob.timezone], ["22:15", false, "UTC"]);
        const bob = agentJson(run, "bob");
        assert.deepEqual([bob.stopAt, "startAt" in bob, bob.timezone], ["22:15", false, "UTC"]);
    });

    for (const [key, value, allowed] of [
        ["stopAt", "25:00", /HH:MM/],
        ["startAt", "Mon-Fry 08:00", /Mon Tue Wed Thu Fri Sat Sun/],
        ["timezone", "Europe/Berlinn", /IANA time zone/],
    ] as const) {
        it(`refuses ${key} ${JSON.stringify(value)} at preview, naming the key and what is allowed`, () => {
            assert.throws(
                () => readStackConfig(configSource({ ...adoptedConfig({ stopAt: "20:00" }), [key]: value })),
                (e: Error) => {
                    assert.ok(e.message.includes(`idle-stop:${key}: ${JSON.stringify(value)} is not allowed; expected`), e.message);
                    assert.match(e.message, allowed);
                    return true;
                },
            );
        });
    }

    it("names a fleet entry's own key in a refusal", () => {
        registerAdoptedInstance(aliceId);
        const config = { sshPrivateKey: testPrivateKey, instances: JSON.stringify([{ name: "alice", instanceId: aliceId, stopAt: "8pm" }]) };
        assert.throws(() => readStackConfig(configSource(config)), /idle-stop:instances\[0\] "alice"\.stopAt: "8pm" is not allowed/);
    });

    it("a hibernating box (declared directly: action hibernate comes with the alarm-action function): the stop schedule invokes the alarm-action function with the scheduled event; the role may invoke only it (and start the box)", async () => {
        recorded.length = 0;
        const fn = "arn:aws:lambda:eu-central-1:123456789012:function:idle-stop-alarm-action";
        const parent = new pulumi.ComponentResource("test:index:Parent", "hib");
        declareBoxSchedules(
            "hib",
            {
                schedules: resolveSchedules({ stopAt: "Mon-Fri 19:00", startAt: "Mon-Fri 07:00", timezone: "America/New_York" }),
                instanceId: aliceId,
                partition: "aws",
                region: "eu-central-1",
                hibernate: true,
                stopFunctionArn: fn,
            },
            parent,
        );
        await settle();
        const stop = named(recorded, scheduleType, "hib-stop-at").inputs.target as Record<string, string>;
        assert.equal(stop.arn, fn);
        assert.deepEqual(JSON.parse(stop.input), scheduledActionEvent(aliceId));
        assert.equal((JSON.parse(stop.input) as { source: string }).source, SCHEDULED_ACTION_SOURCE);
        assert.equal(
            (named(recorded, scheduleType, "hib-start-at").inputs.target as Record<string, string>).arn,
            "arn:aws:scheduler:::aws-sdk:ec2:startInstances",
        );
        assert.deepEqual(statements(named(recorded, rolePolicyType, "hib-schedule"), "policy"), [
            { Effect: "Allow", Action: ["ec2:StartInstances"], Resource: `arn:aws:ec2:eu-central-1:123456789012:instance/${aliceId}` },
            { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn },
        ]);
        // No schedule: nothing declared (a stack without one keeps exactly its resources).
        const before = recorded.length;
        assert.deepEqual(
            declareBoxSchedules(
                "none",
                { schedules: resolveSchedules({}), instanceId: aliceId, partition: "aws", region: "eu-central-1", hibernate: true },
                parent,
            ),
            [],
        );
        await settle();
        assert.equal(recorded.length, before);
        // Hibernating without the function's ARN cannot work: refused before any resource.
        assert.throws(
            () =>
                declareBoxSchedules(
                    "hib2",
                    {
                        schedules: resolveSchedules({ stopAt: "19:00" }),
                        instanceId: aliceId,
                        partition: "aws",
                        region: "eu-central-1",
                        hibernate: true,
                    },
                    parent,
                ),
            /alarmActionFunctionArn: no value is not allowed/,
        );
    });
});
