/**
 * Programs in other languages reach IdleStop through the package provider's construct(): the
 * engine sends plain JSON values, and secrets as output values marked secret. These tests turn
 * such wire values into inputs with the SDK's own provider-server code (deserializeInputs), call
 * construct() on Pulumi's mocks, and compare what gets declared with what the TypeScript component
 * declares for the same settings.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as library from "../../components";
import { IdleStop, IdleStopArgs, InstanceAction } from "../../components";
import { packageComponents } from "../../provider/package-provider";
import { packageProvider } from "../support/idle-stop-package";
import { isWireSecret, mockAws, RecordedResource, recorded, resolve, settle } from "../support/pulumi-mocks";
import { named, single, typeCounts } from "../support/resources";
import { adoptedInstanceId, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

/** The SDK's provider server turns a ConstructRequest's inputs into component args with this. */
// eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/unbound-method -- an SDK internal without published types, typed here
const { deserializeInputs } = require("@pulumi/pulumi/provider/server") as {
    deserializeInputs(inputs: Struct, dependencies: Map<string, unknown>): Promise<pulumi.Inputs>;
};

/** A secret as the engine hands it to a provider that accepts outputs (the Node.js provider does). */
function wireSecret(value: unknown): Record<string, unknown> {
    return { [rpc.specialSigKey]: rpc.specialOutputValueSig, value, secret: true };
}

/** An output of another resource (known, not secret), as the engine sends it. */
function wireOutput(value: unknown, dependencies: string[] = []): Record<string, unknown> {
    return { [rpc.specialSigKey]: rpc.specialOutputValueSig, value, dependencies };
}

interface Constructed {
    readonly resources: RecordedResource[];
    readonly state: Record<string, unknown>;
}

/** construct() as the engine calls it for a program in another language, with `wire` as the request's inputs. */
async function constructFromWire(type: string, name: string, wire: Record<string, unknown>): Promise<Constructed> {
    recorded.length = 0;
    const inputs = await deserializeInputs(Struct.fromJavaScript(wire as Parameters<typeof Struct.fromJavaScript>[0]), new Map());
    const result = await packageProvider().construct(name, type, inputs, {});
    const state: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(result.state ?? {})) {
        state[key] = await resolve(value as pulumi.Input<unknown>);
    }
    await settle();
    return { resources: [...recorded], state };
}

/** The TypeScript component with the same settings, declared directly. */
async function declareInTypeScript(name: string, args: IdleStopArgs): Promise<RecordedResource[]> {
    recorded.length = 0;
    const component = new IdleStop(name, args);
    await resolve(component.agentRelease);
    await settle();
    return [...recorded];
}

/** Type, name and wire-form inputs of each declared resource, in a stable order. */
function declared(resources: RecordedResource[]): Array<{ type: string; name: string; inputs: Record<string, unknown> }> {
    return resources
        .map((r) => ({ type: r.type, name: r.name, inputs: r.wireInputs }))
        .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

/** Every string in a wire value that is not inside a secret. */
function plainStrings(value: unknown): string[] {
    if (isWireSecret(value)) return [];
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(plainStrings);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(plainStrings);
    return [];
}

describe("the idle-stop package: construct() for programs in other languages", function () {
    // The provider infers its schema once before the first construct (shared with the schema tests).
    this.timeout(300_000);

    beforeEach(() => {
        mockAws.region = "us-east-1";
        registerAdoptedInstance();
    });

    it("offers the component classes that components/index.ts exports to TypeScript programs", () => {
        assert.deepEqual(
            packageComponents.map((component) => component.name),
            ["IdleStop", "FleetDashboard", "NotificationTopic"],
        );
        assert.deepEqual(packageComponents, [library.IdleStop, library.FleetDashboard, library.NotificationTopic]);
    });

    it("declares for an adopted instance exactly what the TypeScript component declares", async () => {
        const fromPython = await constructFromWire("idle-stop:index:IdleStop", "devbox", {
            instanceId: adoptedInstanceId,
            idleMinutes: 30,
            ssh: { user: "ec2-user", port: 2200, privateKey: wireSecret(testPrivateKey) },
            credentials: "iam-user",
            tags: { team: "data" },
        });
        const fromTypeScript = await declareInTypeScript("devbox", {
            instanceId: adoptedInstanceId,
            idleMinutes: 30,
            ssh: { user: "ec2-user", port: 2200, privateKey: pulumi.secret(testPrivateKey) },
            credentials: "iam-user",
            tags: { team: "data" },
        });
        assert.deepEqual(typeCounts(fromPython.resources), {
            "idle-stop:index:IdleStop": 1,
            "aws:iam/user:User": 1,
            "aws:iam/accessKey:AccessKey": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
            "aws:iam/userPolicy:UserPolicy": 1,
            "command:remote:CopyToRemote": 1,
            "command:remote:Command": 1,
            // The wake and sleep steps around the push (components/box-wake.ts).
            "command:local:Command": 2,
        });
        assert.deepEqual(declared(fromPython.resources), declared(fromTypeScript));
        const component = single(fromPython.resources, "idle-stop:index:IdleStop");
        for (const child of fromPython.resources.filter((r) => r !== component)) {
            assert.equal(child.parentUrn, component.urn, `${child.type} ${child.name} is a child of the component`);
        }
        assert.equal(named(fromPython.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "devbox-idle").inputs.evaluationPeriods, 30);
    });

    it("keeps the private key secret: only inside secret values, never in the component's recorded inputs", async () => {
        const { resources } = await constructFromWire("idle-stop:index:IdleStop", "devbox", {
            instanceId: adoptedInstanceId,
            ssh: { user: "ec2-user", privateKey: wireSecret(testPrivateKey) },
        });
        for (const resource of resources) {
            for (const text of plainStrings(resource.wireInputs)) {
                assert.ok(!text.includes("idle-stop-test-key-material"), `${resource.type} ${resource.name} carries the key in plain text`);
            }
        }
        const command = single(resources, "command:remote:Command");
        const connection = command.wireInputs.connection as Record<string, unknown>;
        assert.ok(isWireSecret(connection) || isWireSecret(connection.privateKey), "the SSH connection's key is a secret");
        assert.equal((command.inputs.connection as Record<string, unknown>).privateKey, testPrivateKey, "the key the command gets is the one sent");
    });

    it("returns the schema's outputs as the component's state", async () => {
        const { state } = await constructFromWire("idle-stop:index:IdleStop", "devbox", {
            instanceId: adoptedInstanceId,
            idleMinutes: 45,
            ssh: { user: "ec2-user", port: 2200, privateKey: wireSecret(testPrivateKey) },
        });
        const outputs = Object.keys((await packageProvider().getSchema().then(JSON.parse)).resources["idle-stop:index:IdleStop"].properties).sort();
        assert.deepEqual(Object.keys(state).sort(), outputs);
        assert.equal(state.instanceId, adoptedInstanceId);
        assert.equal(state.adopted, true);
        assert.equal(state.idleMinutes, 45);
        assert.equal(state.instance, undefined, "an adopted instance is not a resource");
        assert.equal(state.sshCommand, "ssh -p 2200 ec2-user@ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.match(String(state.alarmArn), /^arn:aws:cloudwatch:us-east-1:123456789012:alarm:devbox-idle/);
        assert.match(String(state.agentRelease), /^[0-9a-f]{16}$/);
    });

    it("creates an instance from nested plain settings, with enums sent as strings and a topic ARN sent as an output", async () => {
        const topicArn = "arn:aws:sns:us-east-1:123456789012:idle-stop-notify";
        const { resources } = await constructFromWire("idle-stop:index:IdleStop", "scratch", {
            instance: { keyName: "team-key", instanceType: "t3.small", sshIngressCidrs: ["203.0.113.7/32"], rootVolumeGb: 30 },
            action: "terminate",
            warnMinutes: 5,
            notificationTopicArn: wireOutput(topicArn, ["urn:pulumi:test::idle-stop::idle-stop:index:NotificationTopic::notify"]),
            ssh: { privateKey: wireSecret(testPrivateKey) },
        });
        const twin = await declareInTypeScript("scratch", {
            instance: { keyName: "team-key", instanceType: "t3.small", sshIngressCidrs: ["203.0.113.7/32"], rootVolumeGb: 30 },
            action: InstanceAction.Terminate,
            warnMinutes: 5,
            notificationTopicArn: topicArn,
            ssh: { privateKey: pulumi.secret(testPrivateKey) },
        });
        assert.deepEqual(
            declared(resources).map(({ type, name }) => `${type} ${name}`),
            declared(twin).map(({ type, name }) => `${type} ${name}`),
        );
        const instance = single(resources, "aws:ec2/instance:Instance").inputs;
        assert.equal(instance.instanceType, "t3.small");
        assert.equal(instance.keyName, "team-key");
        assert.deepEqual(instance.rootBlockDevice, { encrypted: true, volumeSize: 30 });
        assert.ok(single(resources, "aws:iam/instanceProfile:InstanceProfile"), "a created instance defaults to an instance profile");
        const group = single(resources, "aws:ec2/securityGroup:SecurityGroup").inputs;
        assert.deepEqual((group.ingress as Array<{ cidrBlocks: string[] }>)[0].cidrBlocks, ["203.0.113.7/32"]);
        const idle = named(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "scratch-idle").inputs;
        assert.deepEqual(idle.alarmActions, ["arn:aws:automate:us-east-1:ec2:terminate", topicArn]);
        assert.equal(named(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "scratch-warning").inputs.evaluationPeriods, 10);
    });

    it("rejects invalid settings with the component's own messages", async () => {
        const attempt = (wire: Record<string, unknown>) => constructFromWire("idle-stop:index:IdleStop", "devbox", wire);
        await assert.rejects(
            attempt({ instanceId: adoptedInstanceId, action: "sleep", ssh: { privateKey: wireSecret("k") } }),
            /action: "sleep" is not allowed; expected one of "stop", "terminate", "hibernate"/,
        );
        await assert.rejects(
            attempt({ instanceId: adoptedInstanceId, credentials: "instance-profile", ssh: { privateKey: wireSecret("k") } }),
            /credentials: "instance-profile" is not allowed; expected "iam-user" for an adopted instance/,
        );
        await assert.rejects(
            attempt({ instanceId: adoptedInstanceId, idleMinutes: 2.5, ssh: { privateKey: wireSecret("k") } }),
            /idleMinutes: 2\.5 is not allowed; expected a whole number from 1 to 1440/,
        );
        await assert.rejects(attempt({ instanceId: adoptedInstanceId, ssh: { user: "ec2-user" } }), /ssh\.privateKey: no value is not allowed/);
        // An engine that pushes a nested secret up to the whole object (the older secret form) gets a clear message.
        await assert.rejects(
            attempt({ instanceId: adoptedInstanceId, ssh: { [rpc.specialSigKey]: rpc.specialSecretSig, value: { privateKey: "k" } } }),
            /ssh: "\(an Output\)" is not allowed; expected a plain object/,
        );
    });

    it("constructs a NotificationTopic and a FleetDashboard fed with IdleStop outputs", async () => {
        const topic = await constructFromWire("idle-stop:index:NotificationTopic", "notify", { emails: ["lead@example.com", "ops@example.com"] });
        assert.deepEqual(typeCounts(topic.resources), {
            "idle-stop:index:NotificationTopic": 1,
            "aws:sns/topic:Topic": 1,
            "aws:sns/topicSubscription:TopicSubscription": 2,
        });
        assert.deepEqual(
            topic.resources
                .filter((r) => r.type.endsWith("TopicSubscription"))
                .map((r) => r.inputs.endpoint)
                .sort(),
            ["lead@example.com", "ops@example.com"],
        );
        assert.match(String(topic.state.topicArn), /^arn:aws:sns:us-east-1:123456789012:notify/);
        await assert.rejects(
            constructFromWire("idle-stop:index:NotificationTopic", "notify", { emails: ["not-an-address"] }),
            /emails: "not-an-address" is not allowed/,
        );

        const dashboard = await constructFromWire("idle-stop:index:FleetDashboard", "idle-stop", {
            instances: [
                {
                    name: "devbox",
                    instanceId: wireOutput(adoptedInstanceId),
                    idleMinutes: wireOutput(30),
                    alarmArns: [wireOutput("arn:aws:cloudwatch:us-east-1:123456789012:alarm:devbox-idle-1")],
                },
            ],
        });
        const board = single(dashboard.resources, "aws:cloudwatch/dashboard:Dashboard");
        assert.equal(board.parentUrn, single(dashboard.resources, "idle-stop:index:FleetDashboard").urn);
        const body = JSON.parse(String(board.inputs.dashboardBody)) as { widgets: Array<{ properties: Record<string, unknown> }> };
        assert.match(JSON.stringify(body.widgets[0].properties.markdown), /stops after 30 minutes/);
        assert.deepEqual(body.widgets[1].properties.metrics, [
            ["IdleStop", "ActiveSessions", "InstanceId", adoptedInstanceId, { label: "devbox", stat: "Maximum", period: 60 }],
            [
                "IdleStop",
                "ConnectedSessions",
                "InstanceId",
                adoptedInstanceId,
                { label: "devbox connected", stat: "Maximum", period: 60, lineStyle: "dashed" },
            ],
        ]);
        assert.deepEqual(body.widgets[2].properties.alarms, ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:devbox-idle-1"]);
        assert.equal(dashboard.state.dashboardName, "idle-stop-test");
        assert.match(String(dashboard.state.consoleUrl), /dashboards(:|\/)?.*idle-stop-test/);
    });
});
