// action hibernate on Pulumi's mocks: the alarm-action function, its permission and policy, hibernation-ready instances (docs/reference/alarm-action.md).
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { IdleStop, InvalidSettingError } from "../../components";
import { ConfigSource, readStackConfig } from "../../program/stack-config";
import { WATCHED_INSTANCES_ENV } from "../../common/alarm-action";
import { mockAws, ProgramRun, RecordedResource, recorded, resolve, runProgram, settle } from "../support/pulumi-mocks";
import { named, ofType, single } from "../support/resources";
import { adoptedInstanceId, createdConfig, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const fnType = "aws:lambda/function:Function";
const permissionType = "aws:lambda/permission:Permission";
const policyType = "aws:iam/rolePolicy:RolePolicy";
const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";
const instanceType = "aws:ec2/instance:Instance";
const bundle = path.resolve(__dirname, "..", "..", "lambda", "dist", "alarm-action.js");

/** The path of each file asset in a function's `code` archive, as Pulumi sends it (wire form). */
function archivePaths(fn: RecordedResource): Record<string, unknown> {
    const assets = (fn.wireInputs.code as { assets: Record<string, { path?: string }> }).assets;
    return Object.fromEntries(Object.entries(assets).map(([file, asset]) => [file, asset.path]));
}

function policyDocument(r: RecordedResource): { Statement: Array<{ Action: unknown; Resource: unknown }> } {
    return JSON.parse(String(r.inputs.policy)) as { Statement: Array<{ Action: unknown; Resource: unknown }> };
}

/** Stack config as the reader sees it, without running the program (the refusals come before any resource). */
function configSource(config: Record<string, string>): ConfigSource {
    return { get: (key) => config[key], getSecret: (key) => (config[key] === undefined ? undefined : pulumi.secret(config[key])) };
}

describe("action hibernate on mocks", () => {
    let fleet: ProgramRun;
    const warnings: string[] = [];
    const originalWarn = pulumi.log.warn;

    before(async () => {
        mockAws.region = "us-east-1";
        registerAdoptedInstance();
        (pulumi.log as { warn: typeof pulumi.log.warn }).warn = (message: string) => {
            warnings.push(message);
            return Promise.resolve();
        };
        try {
            fleet = await runProgram(
                createdConfig({
                    "aws:region": "us-east-1",
                    notifyEmail: "dev@example.com",
                    instances: JSON.stringify([
                        { name: "alice", action: "hibernate", instanceType: "t3.large" },
                        { name: "bob", instanceId: adoptedInstanceId, action: "hibernate", sshUser: "ec2-user", credentials: "iam-user" },
                        { name: "carol", action: "stop" },
                        // The stack's own region spelled out: the same function as alice's and bob's.
                        { name: "fay", region: "us-east-1", action: "hibernate" },
                        { name: "erin", region: "eu-west-1", action: "hibernate", stopAt: "Mon-Fri 19:00" },
                    ]),
                }),
            );
        } finally {
            (pulumi.log as { warn: typeof pulumi.log.warn }).warn = originalWarn;
        }
    });

    /** The instance a box's idle alarm watches. */
    const instanceId = (name: string): string =>
        (named(fleet.resources, alarmType, `${name}-idle`).inputs.dimensions as Record<string, string>).InstanceId;

    it("deploys one function per region, from the bundle npm run build makes, on Node.js 22", () => {
        const functions = ofType(fleet.resources, fnType);
        assert.deepEqual(functions.map((f) => f.name).sort(), ["idle-stop-alarm-action", "idle-stop-alarm-action-eu-west-1"]);
        assert.equal(named(fleet.resources, fnType, "idle-stop-alarm-action").provider, "");
        assert.match(named(fleet.resources, fnType, "idle-stop-alarm-action-eu-west-1").provider, /idle-stop-eu-west-1/);
        for (const fn of functions) {
            assert.equal(fn.inputs.runtime, "nodejs22.x");
            assert.equal(fn.inputs.handler, "alarm-action.handler");
            assert.deepEqual(archivePaths(fn), { "alarm-action.js": bundle });
        }
    });

    it("makes the function's ARN the action of the hibernating boxes' alarms, and only theirs", () => {
        const arns = Object.fromEntries(
            ["alice", "bob", "carol", "fay", "erin"].map((n) => [n, named(fleet.resources, alarmType, `${n}-idle`).inputs.alarmActions as string[]]),
        );
        assert.match(arns.alice[0], /^arn:aws:lambda:us-east-1:123456789012:function:idle-stop-alarm-action-/);
        assert.equal(arns.bob[0], arns.alice[0]);
        assert.equal(arns.fay[0], arns.alice[0]);
        assert.match(arns.erin[0], /^arn:aws:lambda:eu-west-1:123456789012:function:idle-stop-alarm-action-eu-west-1-/);
        // The EC2 action and the topic, as before, for the box that stops.
        assert.deepEqual(arns.carol[0], "arn:aws:automate:us-east-1:ec2:stop");
        // Only on the transition to ALARM, as the EC2 action: no OK or insufficient-data actions.
        const alice = named(fleet.resources, alarmType, "alice-idle").inputs;
        assert.equal(alice.okActions, undefined);
        assert.equal(alice.insufficientDataActions, undefined);
        assert.match(String(named(fleet.resources, alarmType, "alice-warning").inputs.alarmDescription), /will be hibernated in 5 minutes/);
    });

    it("hibernates a box at its stopAt time through its region's function, like its alarm", () => {
        const target = named(fleet.resources, "aws:scheduler/schedule:Schedule", "erin-stop-at").inputs.target as Record<string, string>;
        const erinAlarm = named(fleet.resources, alarmType, "erin-idle").inputs.alarmActions as string[];
        assert.equal(target.arn, erinAlarm[0]);
        assert.deepEqual(JSON.parse(target.input), { source: "idle-stop.schedule", action: "hibernate", instanceId: instanceId("erin") });
        assert.deepEqual(
            policyDocument(named(fleet.resources, policyType, "erin-schedule")).Statement.map((st) => [st.Action, st.Resource]),
            [["lambda:InvokeFunction", erinAlarm[0]]],
        );
    });

    it("lets only each hibernating box's own alarm invoke the function, from this account", () => {
        const permissions = ofType(fleet.resources, permissionType);
        assert.deepEqual(permissions.map((p) => p.name).sort(), ["alice-alarm-invoke", "bob-alarm-invoke", "erin-alarm-invoke", "fay-alarm-invoke"]);
        for (const name of ["alice", "bob", "fay"]) {
            const p = named(fleet.resources, permissionType, `${name}-alarm-invoke`).inputs;
            const alarm = named(fleet.resources, alarmType, `${name}-idle`);
            assert.equal(p.principal, "lambda.alarms.cloudwatch.amazonaws.com");
            assert.equal(p.action, "lambda:InvokeFunction");
            assert.match(String(p.sourceArn), new RegExp(`^arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}-idle`));
            assert.equal(p.sourceAccount, "123456789012");
            assert.equal(p.function, (alarm.inputs.alarmActions as string[])[0]);
        }
    });

    it("lets each function stop only its region's hibernating boxes, and lists exactly them in its environment", () => {
        const fn = named(fleet.resources, fnType, "idle-stop-alarm-action");
        const stop = named(fleet.resources, policyType, "idle-stop-alarm-action-stop");
        const ids = ["alice", "bob", "fay"].map(instanceId).sort();
        assert.deepEqual(policyDocument(stop).Statement, [
            { Effect: "Allow", Action: "ec2:StopInstances", Resource: ids.map((id) => `arn:aws:ec2:us-east-1:123456789012:instance/${id}`).sort() },
        ]);
        assert.ok(!JSON.stringify(stop.inputs).includes(instanceId("carol")));
        const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        assert.deepEqual(JSON.parse(env[WATCHED_INSTANCES_ENV]), ids);
        const erin = named(fleet.resources, policyType, "idle-stop-alarm-action-eu-west-1-stop");
        assert.deepEqual(policyDocument(erin).Statement[0].Resource, [`arn:aws:ec2:eu-west-1:123456789012:instance/${instanceId("erin")}`]);
        const logs = named(fleet.resources, policyType, "idle-stop-alarm-action-logs");
        assert.deepEqual(
            policyDocument(logs).Statement.map((s) => s.Action),
            [["logs:CreateLogStream", "logs:PutLogEvents"]],
        );
    });

    it("launches a created hibernating box with hibernation on an encrypted root volume of RAM + OS, and leaves a stopping one as it was", () => {
        const instances = ofType(fleet.resources, instanceType);
        const alice = instances.find((i) => i.name === "alice")!.inputs;
        assert.equal(alice.hibernation, true);
        assert.deepEqual(alice.rootBlockDevice, { encrypted: true, volumeSize: 16 });
        const carol = instances.find((i) => i.name === "carol")!.inputs;
        assert.equal(carol.hibernation, undefined);
        assert.deepEqual(carol.rootBlockDevice, { encrypted: true });
    });

    it("warns at preview that an adopted box stops plainly unless launched with hibernation", () => {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], new RegExp(`bob \\(${adoptedInstanceId}\\) has action "hibernate".*stops it plainly`));
    });

    it("refuses at preview an instance type that cannot hibernate and a root volume too small, naming the key", () => {
        const refusal = (config: Record<string, string>) =>
            assert.throws(() => readStackConfig(configSource(createdConfig(config))), InvalidSettingError);
        const message = (config: Record<string, string>): string => {
            try {
                readStackConfig(configSource(createdConfig(config)));
            } catch (err) {
                return (err as Error).message;
            }
            throw new Error("accepted");
        };
        refusal({ action: "hibernate", instanceType: "g4dn.xlarge" });
        assert.match(
            message({ action: "hibernate", instanceType: "g4dn.xlarge" }),
            /^idle-stop:instanceType: "g4dn.xlarge" is not allowed; expected with action "hibernate", an x86 instance type that can hibernate/,
        );
        assert.match(
            message({ action: "hibernate", instanceType: "r5.8xlarge" }),
            /idle-stop:instanceType: "r5.8xlarge" is not allowed; .*at most 150 GiB/,
        );
        assert.match(
            message({ instances: JSON.stringify([{ name: "dora", action: "hibernate", instanceType: "m5.xlarge", rootVolumeGb: 20 }]) }),
            /^idle-stop:instances\[0\] "dora".rootVolumeGb: 20 is not allowed; expected at least 24 \(GiB\) with action "hibernate" on m5.xlarge/,
        );
        // An image of your own: its root snapshot may be larger than memory + OS, so the size must be given.
        assert.match(
            message({ action: "hibernate", instanceType: "t3.large", ami: "ami-0123456789abcdef0" }),
            /^idle-stop:rootVolumeGb: "\(not set\)" is not allowed; expected a size in GiB with action "hibernate" and an `ami` of your own: at least 16/,
        );
        readStackConfig(
            configSource(createdConfig({ action: "hibernate", instanceType: "t3.large", ami: "ami-0123456789abcdef0", rootVolumeGb: "30" })),
        );
        assert.match(message({ action: "sleep" }), /^idle-stop:action: "sleep" is not allowed; expected one of "stop", "terminate", "hibernate"/);
        // Large enough, and an adopted box whatever its type: accepted.
        readStackConfig(configSource(createdConfig({ action: "hibernate", instanceType: "m5.xlarge", rootVolumeGb: "24" })));
    });

    it("gives an IdleStop used alone (a package user) a function of its own", async () => {
        recorded.length = 0;
        const box = new IdleStop("solo", {
            action: "hibernate",
            instance: { keyName: "k", instanceType: "t3.micro" },
            ssh: { privateKey: testPrivateKey },
        });
        await resolve(box.alarmArn);
        await settle();
        const fn = single(recorded, fnType);
        assert.equal(fn.name, "solo-alarm-action");
        const alarm = named(recorded, alarmType, "solo-idle").inputs;
        assert.match((alarm.alarmActions as string[])[0], /^arn:aws:lambda:us-east-1:123456789012:function:solo-alarm-action-/);
        assert.equal(named(recorded, permissionType, "solo-alarm-invoke").inputs.function, (alarm.alarmActions as string[])[0]);
        const stop = named(recorded, policyType, "solo-alarm-action-stop");
        assert.deepEqual(policyDocument(stop).Statement[0].Resource, [
            `arn:aws:ec2:us-east-1:123456789012:instance/${(alarm.dimensions as Record<string, string>).InstanceId}`,
        ]);
        assert.deepEqual(single(recorded, instanceType).inputs.rootBlockDevice, { encrypted: true, volumeSize: 9 });
    });
});
