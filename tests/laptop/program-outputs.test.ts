// The stack outputs the laptop command reads, and the program's handling of the current
// addresses the lifecycle passes in IDLE_STOP_SSH_HOSTS, on Pulumi's mocks.
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { addressOverridesEnv, connectionOnlyEnv, parseAddressOverrides } from "../../common/address-overrides";
import { mockAws, programError, runProgram } from "../support/pulumi-mocks";
import { named } from "../support/resources";
import { adoptedConfig, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";
import { boxOutput } from "../support/fake-pulumi";
import { watchedBoxes } from "../../laptop/src/stack-outputs";

const alice = { name: "alice", instanceId: "i-0aaaaaaaaaaaaaaa1", sshUser: "ec2-user", idleMinutes: 45 };
const bob = { name: "bob", instanceId: "i-0bbbbbbbbbbbbbbb2", sshPort: 2222, sshHost: "bob.example.net" };
const scratch = { name: "scratch", keyName: "team-key" };

function fleet(): Record<string, string> {
    registerAdoptedInstance(alice.instanceId);
    registerAdoptedInstance(bob.instanceId);
    return { sshPrivateKey: testPrivateKey, instances: JSON.stringify([alice, bob, scratch]) };
}

function connectionHost(run: Awaited<ReturnType<typeof runProgram>>, name: string, kind: "agent" | "payload"): string {
    const type = kind === "agent" ? "command:remote:Command" : "command:remote:CopyToRemote";
    const connection = named(run.resources, type, `${name}-${kind}`).inputs.connection as Record<string, unknown>;
    return String(connection.host);
}

describe("stack outputs for the laptop command", () => {
    beforeEach(() => {
        mockAws.region = "eu-west-1";
        delete process.env[addressOverridesEnv];
        delete process.env[connectionOnlyEnv];
    });
    after(() => {
        delete process.env[addressOverridesEnv];
        delete process.env[connectionOnlyEnv];
    });

    it("gives each instance its id, region, SSH target, alarms, metric and push URNs, not as a secret", async () => {
        const run = await runProgram(fleet());
        const instances = run.outputs.instances as Record<string, Record<string, unknown>>;
        const a = instances.alice;
        assert.equal(a.instanceId, alice.instanceId);
        assert.equal(a.region, "eu-west-1");
        assert.equal(a.adopted, true);
        assert.equal(a.sshUser, "ec2-user");
        assert.equal(a.sshPort, 22);
        assert.equal(a.sshHost, "ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.equal(a.sshHostFixed, false);
        assert.equal(a.idleMinutes, 45);
        assert.equal(a.namespace, "IdleStop");
        assert.equal(a.metricName, "ActiveSessions");
        assert.match(String(a.alarmName), /^alice-idle/);
        assert.match(String(a.silentAlarmName), /^alice-silent/);
        assert.equal(a.agentCommandUrn, named(run.resources, "command:remote:Command", "alice-agent").urn);
        assert.equal(a.payloadUrn, named(run.resources, "command:remote:CopyToRemote", "alice-payload").urn);
        assert.equal(instances.bob.sshHost, "bob.example.net");
        assert.equal(instances.bob.sshHostFixed, true);
        assert.equal(instances.bob.sshPort, 2222);
        assert.equal(instances.scratch.adopted, false);
        assert.equal(instances.scratch.sshUser, "ubuntu");
        // Existing outputs stay.
        assert.ok(String(a.sshCommand).startsWith("ssh ec2-user@"));
        assert.ok(String(a.alarmConsoleUrl).includes("alarmsV2"));

        // `pulumi stack output --json` (without --show-secrets) must show these in clear.
        const program = (await import(path.resolve(__dirname, "..", "..", "index.ts"))) as { instances: pulumi.Output<unknown> };
        assert.equal(await pulumi.isSecret(program.instances), false, "the instances output must not be secret");
    });

    it("uses a current address from IDLE_STOP_SSH_HOSTS for the push, but never over a configured sshHost or a stable address", async () => {
        const stableHost = connectionHost(await runProgram(fleet()), "scratch", "agent");
        process.env[addressOverridesEnv] = JSON.stringify({ alice: "198.51.100.77", bob: "198.51.100.88", scratch: "198.51.100.99" });
        const run = await runProgram(fleet());
        assert.equal(connectionHost(run, "alice", "agent"), "198.51.100.77");
        assert.equal(connectionHost(run, "alice", "payload"), "198.51.100.77");
        // A created box's Elastic IP survives stop/start: `npm run deploy` keeps it, so a plain preview shows no change.
        assert.equal(connectionHost(run, "scratch", "agent"), stableHost);
        assert.notEqual(stableHost, "198.51.100.99");
        assert.equal(connectionHost(run, "bob", "agent"), "bob.example.net", "a configured sshHost is the user's choice");
        const instances = run.outputs.instances as Record<string, Record<string, unknown>>;
        assert.equal(instances.alice.sshHost, "198.51.100.77");
        assert.equal(instances.alice.sshHostFixed, false);
    });

    it("without the variable, pushes to the instance's own address", async () => {
        const run = await runProgram(fleet());
        assert.equal(connectionHost(run, "alice", "agent"), "ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.match(connectionHost(run, "scratch", "agent"), /^ec2-198-51-100-\d+\.compute-1\.amazonaws\.com$/);
    });

    it("IDLE_STOP_CONNECTION_ONLY=1 makes the push ignore every change but its connection", async () => {
        const normal = await runProgram(fleet());
        assert.deepEqual(named(normal.resources, "command:remote:Command", "alice-agent").ignoreChanges, []);
        assert.deepEqual(named(normal.resources, "command:remote:CopyToRemote", "alice-payload").ignoreChanges, []);

        process.env[connectionOnlyEnv] = "1";
        process.env[addressOverridesEnv] = JSON.stringify({ alice: "198.51.100.77" });
        const run = await runProgram(fleet());
        const agent = named(run.resources, "command:remote:Command", "alice-agent");
        assert.deepEqual(agent.ignoreChanges.sort(), ["create", "delete", "stdin", "triggers"]);
        assert.ok(!agent.ignoreChanges.includes("connection"));
        assert.equal((agent.inputs.connection as Record<string, unknown>).host, "198.51.100.77");
        assert.deepEqual(named(run.resources, "command:remote:CopyToRemote", "alice-payload").ignoreChanges.sort(), [
            "remotePath",
            "source",
            "triggers",
        ]);
        // Nothing else in the stack is held back.
        assert.deepEqual(named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "alice-idle").ignoreChanges, []);
    });

    it("rejects a malformed IDLE_STOP_SSH_HOSTS before declaring anything", async () => {
        process.env[addressOverridesEnv] = '["alice"]';
        const err = await programError(fleet());
        assert.match(err.message, /IDLE_STOP_SSH_HOSTS: .* is not allowed; expected a JSON object of instance name to host/);
    });

    // Issue 23, finding 11: names come from outside, and "constructor" is a valid Host alias.
    it("a box named constructor, with no current address passed, is pushed to at its own address", async () => {
        const ctor = { name: "constructor", instanceId: "i-0ccccccccccccccc3" };
        registerAdoptedInstance(ctor.instanceId);
        const run = await runProgram({ sshPrivateKey: testPrivateKey, instances: JSON.stringify([ctor]) });
        assert.equal(connectionHost(run, "constructor", "agent"), "ec2-203-0-113-10.compute-1.amazonaws.com");
        const instances = run.outputs.instances as Record<string, Record<string, unknown>>;
        assert.equal(new Map(Object.entries(instances)).get("constructor")?.sshHost, "ec2-203-0-113-10.compute-1.amazonaws.com");
    });

    it("IDLE_STOP_SSH_HOSTS is read into a map without a prototype: only its own names answer", () => {
        const hosts = parseAddressOverrides('{"__proto__": "198.51.100.5", "alice": "198.51.100.6"}');
        assert.equal(hosts.constructor, undefined);
        assert.equal("toString" in hosts, false);
        assert.equal(hosts.alice, "198.51.100.6");
        assert.ok(Object.hasOwn(hosts, "__proto__"), "an own key like any other, not the prototype");
        assert.equal(Object.getPrototypeOf(hosts), null);
        assert.equal(parseAddressOverrides(undefined).constructor, undefined);
    });

    // Issue 23, finding 1: the program refuses the values that would inject ssh_config directives
    // (the laptop command refuses them too, tests/laptop/hostile-values.test.ts).
    const injections: Array<[string, string]> = [
        ["sshUser", 'ubuntu\nMatch exec "touch /tmp/pwned"'],
        ["sshUser", "ubuntu\n"],
        ["name", "devbox *"],
        ["name", "devbox\nMatch all"],
    ];
    for (const [key, value] of injections) {
        it(`refuses ${key} ${JSON.stringify(value)}, which would inject an ssh_config directive`, async () => {
            registerAdoptedInstance();
            const error = await programError(adoptedConfig({ [key]: value }));
            assert.match(error.message, new RegExp(`idle-stop:${key}`));
            assert.ok(error.message.includes(JSON.stringify(value)), error.message);
        });
    }

    it("refuses a fractional sshPort such as 22.5", async () => {
        registerAdoptedInstance();
        const error = await programError(adoptedConfig({ sshPort: "22.5" }));
        assert.match(error.message, /idle-stop:sshPort: "22\.5" is not allowed/);
    });

    it("refuses an sshHost that is not a DNS name or IP address (it becomes an output the laptop dials)", async () => {
        registerAdoptedInstance();
        const error = await programError(adoptedConfig({ sshHost: "-oProxyCommand=sh" }));
        assert.match(error.message, /idle-stop:sshHost: "-oProxyCommand=sh" is not allowed; expected a DNS name, an IPv4 address or an IPv6 address/);
    });

    it("refuses an IDLE_STOP_SSH_HOSTS value that is not a host", async () => {
        process.env[addressOverridesEnv] = JSON.stringify({ alice: "198.51.100.7 -oProxyCommand=sh" });
        const err = await programError(fleet());
        assert.match(err.message, /IDLE_STOP_SSH_HOSTS: .* is not allowed/);
    });

    it("the laptop reads each instance's sampleSeconds: the output's value, 10 when absent (an older stack), a bad one skips the box", () => {
        const warnings: string[] = [];
        const outputs = {
            instances: {
                alice: { ...boxOutput("alice", { instanceId: alice.instanceId, sshPort: 22 }), sampleSeconds: 60 },
                bob: boxOutput("bob", { instanceId: bob.instanceId, sshPort: 22 }),
                carol: { ...boxOutput("carol", { instanceId: "i-0ccccccccccccccc3", sshPort: 22 }), sampleSeconds: 61 },
            },
        };
        const boxes = watchedBoxes(outputs, (w) => warnings.push(w)) ?? [];
        assert.deepEqual(
            boxes.map((b) => [b.name, b.sampleSeconds]),
            [
                ["alice", 60],
                ["bob", 10],
            ],
        );
        assert.deepEqual(warnings, ['skipping the stack\'s instance "carol": sampleSeconds "61" is not a whole number from 1 to 60']);
    });
});
