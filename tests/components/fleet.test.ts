import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { programAgentDefaults } from "../../common/agent-config";
import { KEPT_UP_SIGNALS } from "../../common/metric";
import { mockAws, programError, RecordedResource, runProgram } from "../support/pulumi-mocks";
import { named, ofType, single } from "../support/resources";
import { registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const alice = { name: "alice", instanceId: "i-0aaaaaaaaaaaaaaa1", sshUser: "ec2-user", idleMinutes: 45 };
const bob = { name: "bob", instanceId: "i-0bbbbbbbbbbbbbbb2", sshPort: 2222 };
const scratch = { name: "scratch", keyName: "team-key", action: "terminate", credentials: "iam-user", idleMinutes: "10" };

function fleetConfig(entries: object[], extra: Record<string, string> = {}): Record<string, string> {
    registerAdoptedInstance(alice.instanceId);
    registerAdoptedInstance(bob.instanceId);
    return { sshPrivateKey: testPrivateKey, idleMinutes: "20", instances: JSON.stringify(entries), ...extra };
}

/** URNs of everything that belongs to one entry (its component and the component's children). */
function entryUrns(resources: RecordedResource[], entry: string): string[] {
    const component = named(resources, "idle-stop:index:IdleStop", entry);
    return resources
        .filter((r) => r === component || r.parentUrn === component.urn)
        .map((r) => r.urn)
        .sort();
}

describe("fleets", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    it("builds one watcher per entry, adopted and created, with per-entry overrides", async () => {
        const run = await runProgram(fleetConfig([alice, bob, scratch]));
        assert.deepEqual(
            ofType(run.resources, "idle-stop:index:IdleStop")
                .map((c) => c.name)
                .sort(),
            ["alice", "bob", "scratch"],
        );
        assert.equal(ofType(run.resources, "aws:ec2/instance:Instance").length, 1, "only the created entry declares an instance");
        assert.equal(
            named(run.resources, "aws:ec2/instance:Instance", "scratch").parentUrn,
            named(run.resources, "idle-stop:index:IdleStop", "scratch").urn,
        );
        assert.equal(ofType(run.resources, "aws:iam/user:User").length, 3, "adopted entries get IAM users; scratch asked for one");
        assert.equal(ofType(run.resources, "command:remote:Command").length, 3);
        assert.equal(ofType(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm").length, 6, "an idle and a silent alarm each");

        const idle = (entry: string) => named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-idle`).inputs;
        assert.equal(idle("alice").evaluationPeriods, 45, "entry override");
        assert.equal(idle("bob").evaluationPeriods, 20, "stack-wide idleMinutes as the default");
        assert.equal(idle("scratch").evaluationPeriods, 10);
        assert.deepEqual(idle("scratch").alarmActions, ["arn:aws:automate:us-east-1:ec2:terminate"]);
        assert.deepEqual(idle("alice").alarmActions, ["arn:aws:automate:us-east-1:ec2:stop"]);
        assert.deepEqual(idle("bob").dimensions, { InstanceId: bob.instanceId });

        const connection = (entry: string) =>
            named(run.resources, "command:remote:Command", `${entry}-agent`).inputs.connection as Record<string, unknown>;
        assert.equal(connection("alice").user, "ec2-user");
        assert.equal(connection("bob").user, "ubuntu");
        assert.equal(connection("bob").port, 2222);
    });

    it("writes each entry's busy-work thresholds into its own agent.json; unset fields inherit the stack's", async () => {
        const run = await runProgram(
            fleetConfig(
                [
                    { ...alice, busyGpuPercent: 0, transferBytesPerMinute: "2000000" },
                    { ...bob, busyProcessPercent: 60 },
                ],
                { busyProcessPercent: "40" },
            ),
        );
        const agentJson = (entry: string): Record<string, unknown> => {
            const create = String(named(run.resources, "command:remote:Command", `${entry}-agent`).inputs.create);
            return JSON.parse(Buffer.from(/--config-b64 (\S+)/.exec(create)![1], "base64").toString("utf8")) as Record<string, unknown>;
        };
        const thresholds = (entry: string) => {
            const json = agentJson(entry);
            return [json.busyProcessPercent, json.busyGpuPercent, json.transferBytesPerMinute];
        };
        assert.deepEqual(thresholds("alice"), [40, 0, 2000000], "alice: stack-wide busyProcessPercent, her own GPU (off) and transfer values");
        assert.deepEqual(
            thresholds("bob"),
            [60, programAgentDefaults.busyGpuPercent, programAgentDefaults.transferBytesPerMinute],
            "bob: his own busyProcessPercent, the defaults for the rest",
        );
    });

    it("shares one dashboard and one SNS topic across the fleet", async () => {
        const run = await runProgram(fleetConfig([alice, bob, scratch], { notifyEmail: "lead@example.com" }));
        const topic = String(run.outputs.notificationTopicArn);
        single(run.resources, "aws:sns/topic:Topic");
        single(run.resources, "aws:cloudwatch/dashboard:Dashboard");
        for (const entry of ["alice", "bob", "scratch"]) {
            const silent = named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-silent`).inputs;
            assert.deepEqual(silent.alarmActions, [topic]);
        }
    });

    it("keeps the other entries' URNs when an entry is added or removed", async () => {
        const full = await runProgram(fleetConfig([alice, bob, scratch]));
        const withoutBob = await runProgram(fleetConfig([alice, scratch]));
        for (const entry of ["alice", "scratch"]) {
            assert.deepEqual(entryUrns(withoutBob.resources, entry), entryUrns(full.resources, entry), `${entry}'s resources keep their URNs`);
            assert.ok(entryUrns(full.resources, entry).length >= 6);
        }
        assert.equal(withoutBob.resources.filter((r) => r.urn.includes("::bob")).length, 0);
        const carol = { name: "carol", instanceId: "i-0ccccccccccccccc3" };
        registerAdoptedInstance(carol.instanceId);
        const withCarol = await runProgram(fleetConfig([alice, bob, carol, scratch]));
        for (const entry of ["alice", "bob", "scratch"]) {
            assert.deepEqual(entryUrns(withCarol.resources, entry), entryUrns(full.resources, entry), `adding carol leaves ${entry} alone`);
        }
    });

    it("builds a valid dashboard naming every instance's metric, the stop threshold, alarms and running state", async () => {
        const run = await runProgram(fleetConfig([alice, bob, scratch]));
        const dashboard = single(run.resources, "aws:cloudwatch/dashboard:Dashboard").inputs;
        assert.equal(dashboard.dashboardName, "idle-stop-test");
        const body = JSON.parse(String(dashboard.dashboardBody)) as { widgets: Array<{ type: string; properties: Record<string, unknown> }> };
        const sessions = body.widgets.find((w) => w.type === "metric" && String(w.properties.title).startsWith("Active sessions"))!;
        const lines = sessions.properties.metrics as unknown[][];
        const scratchId = (named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "scratch-idle").inputs.dimensions as Record<string, string>)
            .InstanceId;
        assert.match(scratchId, /^i-/);
        assert.deepEqual(
            lines.map((l) => l.slice(0, 4)),
            [
                ["IdleStop", "ActiveSessions", "InstanceId", alice.instanceId],
                ["IdleStop", "ActiveSessions", "InstanceId", bob.instanceId],
                ["IdleStop", "ActiveSessions", "InstanceId", scratchId],
                ["IdleStop", "ConnectedSessions", "InstanceId", alice.instanceId],
                ["IdleStop", "ConnectedSessions", "InstanceId", bob.instanceId],
                ["IdleStop", "ConnectedSessions", "InstanceId", scratchId],
            ],
        );
        assert.deepEqual(
            lines.map((l) => (l[4] as Record<string, unknown>).label),
            ["alice", "bob", "scratch", "alice connected", "bob connected", "scratch connected"],
        );
        assert.equal(sessions.properties.region, "us-east-1");
        const threshold = (sessions.properties.annotations as { horizontal: Array<{ value: number }> }).horizontal;
        assert.equal(threshold[0].value, 0);

        const alarms = body.widgets.find((w) => w.type === "alarm")!.properties.alarms as string[];
        assert.equal(alarms.length, 6);
        for (const alarm of ofType(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
            assert.ok(
                alarms.some((arn) => arn.includes(`:alarm:${alarm.name}`)),
                `dashboard shows ${alarm.name}`,
            );
        }
        const runningWidget = body.widgets.find((w) => String(w.properties.title).startsWith("Instance running"))!;
        assert.deepEqual(
            (runningWidget.properties.metrics as unknown[][]).map((l) => l.slice(0, 4)),
            [
                ["AWS/EC2", "CPUUtilization", "InstanceId", alice.instanceId],
                ["AWS/EC2", "CPUUtilization", "InstanceId", bob.instanceId],
                ["AWS/EC2", "CPUUtilization", "InstanceId", scratchId],
            ],
        );
    });

    it("shows per instance why it is up: one KeptUpBy line per kind of signal (Maximum, 60 s), in the instance's namespace", async () => {
        const run = await runProgram(fleetConfig([alice, { ...bob, namespace: "Team" }]));
        const body = JSON.parse(String(single(run.resources, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody)) as {
            widgets: Array<{ type: string; x: number; y: number; width: number; height: number; properties: Record<string, unknown> }>;
        };
        const why = body.widgets.filter((w) => String(w.properties.title).startsWith("Why "));
        assert.deepEqual(
            why.map((w) => w.properties.title),
            ["alice", "bob"].map((n) => `Why ${n} is up: what each kind of signal added to active sessions, per minute`),
        );
        for (const [widget, namespace, instanceId] of [
            [why[0], "IdleStop", alice.instanceId],
            [why[1], "Team", bob.instanceId],
        ] as const) {
            assert.equal(widget.type, "metric");
            assert.equal(widget.properties.region, "us-east-1");
            const lines = widget.properties.metrics as unknown[][];
            assert.deepEqual(
                lines.map((l) => l.slice(0, 6)),
                KEPT_UP_SIGNALS.map((signal) => [namespace, "KeptUpBy", "InstanceId", instanceId, "Signal", signal]),
                "one line per kind of signal",
            );
            assert.deepEqual(
                lines.map((l) => l[6]),
                KEPT_UP_SIGNALS.map((signal) => ({ label: signal, stat: "Maximum", period: 60 })),
            );
        }
        // Side by side below the fleet-wide widgets, inside the 24-column grid, none overlapping.
        for (const w of why) assert.ok(w.x + w.width <= 24 && w.y >= 15, JSON.stringify(w));
        assert.notDeepEqual([why[0].x, why[0].y], [why[1].x, why[1].y]);
    });

    it("gives per-instance stack outputs and the dashboard URL", async () => {
        const run = await runProgram(fleetConfig([alice, bob]));
        const instances = run.outputs.instances as Record<string, Record<string, string>>;
        assert.deepEqual(Object.keys(instances).sort(), ["alice", "bob"]);
        assert.equal(instances.bob.instanceId, bob.instanceId);
        assert.equal(instances.bob.sshCommand, "ssh -p 2222 ubuntu@ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.match(instances.alice.alarmName, /^alice-idle/);
        assert.match(instances.alice.alarmConsoleUrl, /#alarmsV2:alarm\/alice-idle/);
        assert.equal(
            run.outputs.dashboardUrl,
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/idle-stop-test",
        );
        assert.equal(instances.alice.dashboardUrl, run.outputs.dashboardUrl);
        assert.equal(run.outputs.sshCommand, undefined, "top-level single-instance outputs only for one instance");
    });

    it("can go without a dashboard", async () => {
        const run = await runProgram(fleetConfig([alice], { dashboard: "false" }));
        assert.equal(ofType(run.resources, "aws:cloudwatch/dashboard:Dashboard").length, 0);
        assert.equal(run.outputs.dashboardUrl, undefined);
    });

    describe("rejects bad fleets, naming the entry", () => {
        const cases: Array<[string, object | string, Record<string, string>, RegExp]> = [
            [
                "duplicate names",
                [alice, { ...bob, name: "alice" }],
                {},
                /idle-stop:instances\[1\]\.name: "alice" is not allowed; expected a name not already used by idle-stop:instances\[0\]/,
            ],
            ["an invalid name", [{ ...alice, name: "Alice's box" }], {}, /idle-stop:instances\[0\]\.name: "Alice's box" .*lowercase letters/],
            ["a missing name", [{ instanceId: alice.instanceId }], {}, /idle-stop:instances\[0\]\.name: no value .*a name for the entry/],
            ["an unknown key (typo)", [{ ...alice, idleMinute: 5 }], {}, /idle-stop:instances\[0\] "alice"\.idleMinute: 5 .*one of the entry keys/],
            ["a bad override", [alice, { ...bob, idleMinutes: 0 }], {}, /idle-stop:instances\[1\] "bob"\.idleMinutes: "0" .*1 to 1440/],
            ["a malformed instance id", [{ name: "x", instanceId: "i-nothex" }], {}, /idle-stop:instances\[0\] "x"\.instanceId: "i-nothex"/],
            [
                "terminate on an adopted entry",
                [{ ...alice, action: "terminate" }],
                {},
                /idle-stop:instances\[0\] "alice"\.action: "terminate" .*allowTerminateAdopted/,
            ],
            ["an entry that is not an object", ["alice"], {}, /idle-stop:instances\[0\]: "alice" .*an object/],
            ["an empty list", [], {}, /idle-stop:instances: "\[\]" .*non-empty list/],
            ["a top-level instanceId too", [alice], { instanceId: bob.instanceId }, /idle-stop:instanceId: .*give each entry its own instanceId/],
            [
                "a missing per-entry key config",
                [{ ...alice, sshPrivateKeyConfig: "aliceKey" }],
                {},
                /idle-stop:instances\[0\] "alice"\.sshPrivateKeyConfig: "aliceKey" .*secret config key/,
            ],
        ];
        for (const [what, entries, extra, message] of cases) {
            it(what, async () => {
                const error = await programError(fleetConfig(entries as object[], extra));
                assert.match(error.message, message);
            });
        }
    });

    it("uses a per-entry private key from another secret config key", async () => {
        const run = await runProgram(
            fleetConfig([{ ...alice, sshPrivateKeyConfig: "aliceSshPrivateKey" }, bob], { aliceSshPrivateKey: "alice-secret-key" }),
        );
        const connection = (entry: string) =>
            named(run.resources, "command:remote:Command", `${entry}-agent`).inputs.connection as Record<string, unknown>;
        assert.equal(connection("alice").privateKey, "alice-secret-key");
        assert.equal(connection("bob").privateKey, testPrivateKey);
    });

    it("accepts the fleet example from the README", async () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("idle-stop:instances:"));
        assert.ok(block, "README has a fleet example");
        const stack = yaml.load(block) as { config: Record<string, unknown> };
        const config: Record<string, string> = { sshPrivateKey: testPrivateKey, bobSshPrivateKey: "bob-key" };
        for (const [key, value] of Object.entries(stack.config)) {
            if (key.startsWith("aws:")) continue;
            config[key.replace(/^idle-stop:/, "")] = typeof value === "string" ? value : JSON.stringify(value);
        }
        registerAdoptedInstance("i-0aaaaaaaaaaaaaaa1");
        registerAdoptedInstance("i-0bbbbbbbbbbbbbbb2");
        const run = await runProgram(config);
        assert.deepEqual(
            ofType(run.resources, "idle-stop:index:IdleStop")
                .map((c) => c.name)
                .sort(),
            ["alice", "bob", "scratch"],
        );
        single(run.resources, "aws:sns/topic:Topic");
    });
});
