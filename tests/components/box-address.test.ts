import { strict as assert } from "assert";
import { resolveIdleStopArgs } from "../../components/idle-stop";
import { mockAws, programError, ProgramRun, runProgram } from "../support/pulumi-mocks";
import { named, single } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, createdConfig, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const agentTypes = ["command:remote:CopyToRemote", "command:remote:Command", "command:local:Command"];

/** Every input of the agent push and its wake/sleep steps, by type and name. */
function agentInputs(run: ProgramRun): Record<string, unknown> {
    return Object.fromEntries(run.resources.filter((r) => agentTypes.includes(r.type)).map((r) => [`${r.type} ${r.name}`, r.inputs]));
}

function connectionHost(run: ProgramRun): string {
    return String((single(run.resources, "command:remote:Command").inputs.connection as Record<string, unknown>).host);
}

describe("a stable address for every watched box", () => {
    beforeEach(() => {
        mockAws.region = "eu-west-1";
        mockAws.publicIpShift = 0;
    });
    after(() => {
        mockAws.publicIpShift = 0;
    });

    it("gives a created box an Elastic IP by default, and the push connects to it", async () => {
        const run = await runProgram(createdConfig({ name: "devbox" }));
        const eip = named(run.resources, "aws:ec2/eip:Eip", "devbox-address");
        assert.equal(eip.inputs.domain, "vpc");
        assert.match(String(eip.inputs.instance), /^i-0abc/, "associated with the created instance");
        // The mocked EIP's name (198.51.100.250-254); the instance's own public addresses are below 250.
        assert.match(connectionHost(run), /^ec2-198-51-100-25[0-4]\.compute-1\.amazonaws\.com$/);
        assert.equal(
            String((single(run.resources, "command:remote:CopyToRemote").inputs.connection as Record<string, unknown>).host),
            connectionHost(run),
        );
        assert.equal((run.outputs.instances as Record<string, Record<string, unknown>>).devbox.sshHost, connectionHost(run));
    });

    it("a changed public IP in a refreshed instance changes no agent input (created box, EIP)", async () => {
        const before = await runProgram(createdConfig({ name: "devbox" }));
        mockAws.publicIpShift = 7; // the box was stopped and started: another public IP
        const after = await runProgram(createdConfig({ name: "devbox" }));
        assert.ok(Object.keys(agentInputs(before)).length >= 4, "the copy, the install, the wake and the sleep");
        assert.deepEqual(agentInputs(after), agentInputs(before));
    });

    for (const scheme of ["private", "ipv6"]) {
        it(`addressScheme ${scheme}: no Elastic IP, the push dials the ${scheme} address, which a new public IP leaves alone`, async () => {
            const before = await runProgram(createdConfig({ name: "devbox", addressScheme: scheme }));
            assert.equal(before.resources.filter((r) => r.type === "aws:ec2/eip:Eip").length, 0);
            assert.match(connectionHost(before), scheme === "private" ? /^10\.0\.0\.\d+$/ : /^2001:db8::[0-9a-f]+$/);
            mockAws.publicIpShift = 7;
            assert.deepEqual(agentInputs(await runProgram(createdConfig({ name: "devbox", addressScheme: scheme }))), agentInputs(before));
        });
    }

    it("addressScheme ipv6 gives the created instance an IPv6 address and lets SSH in over IPv6", async () => {
        const run = await runProgram(createdConfig({ name: "devbox", addressScheme: "ipv6" }));
        assert.equal(single(run.resources, "aws:ec2/instance:Instance").inputs.ipv6AddressCount, 1);
        const ingress = (single(run.resources, "aws:ec2/securityGroup:SecurityGroup").inputs.ingress as Array<Record<string, unknown>>)[0];
        assert.deepEqual(ingress.ipv6CidrBlocks, ["::/0"]);
    });

    it("an adopted box is never given an EIP: its current address by default (changes with it), or its private IP", async () => {
        const before = await runProgram(adoptedConfig());
        assert.equal(before.resources.filter((r) => r.type === "aws:ec2/eip:Eip").length, 0);
        assert.equal(connectionHost(before), "ec2-203-0-113-10.compute-1.amazonaws.com");
        // The comparison above can fail: the current address moves with a stop/start.
        mockAws.existingInstances.set(adoptedInstanceId, {
            publicDns: "ec2-203-0-113-99.compute-1.amazonaws.com",
            publicIp: "203.0.113.99",
            privateIp: "10.0.1.10",
        });
        const moved = await runProgram({ sshPrivateKey: testPrivateKey, instanceId: adoptedInstanceId, sshUser: "ec2-user" });
        assert.notDeepEqual(agentInputs(moved), agentInputs(before));

        const privateBefore = await runProgram({
            sshPrivateKey: testPrivateKey,
            instanceId: adoptedInstanceId,
            sshUser: "ec2-user",
            addressScheme: "private",
        });
        assert.equal(connectionHost(privateBefore), "10.0.1.10");
        registerAdoptedInstance();
        const privateAfter = await runProgram(adoptedConfig({ addressScheme: "private" }));
        assert.deepEqual(agentInputs(privateAfter), agentInputs(privateBefore));
    });

    it("validates addressScheme at preview, naming the key", async () => {
        assert.match(
            (await programError(createdConfig({ addressScheme: "public" }))).message,
            /idle-stop:addressScheme: "public" is not allowed; expected one of/,
        );
        assert.match(
            (await programError(adoptedConfig({ addressScheme: "eip" }))).message,
            /idle-stop:addressScheme: "eip" is not allowed; expected "private" or "ipv6" for an adopted instance/,
        );
        const fleet = JSON.stringify([{ name: "alice", instanceId: adoptedInstanceId, addressScheme: "eip" }]);
        registerAdoptedInstance();
        assert.match(
            (await programError({ sshPrivateKey: testPrivateKey, instances: fleet })).message,
            /instances\[0\] "alice"\.addressScheme: "eip"/,
        );
        const base = { instanceId: adoptedInstanceId, ssh: { privateKey: testPrivateKey } };
        assert.throws(() => resolveIdleStopArgs({ ...base, addressScheme: "dns" as never }), /addressScheme: "dns" is not allowed/);
        assert.equal(resolveIdleStopArgs({ ssh: { privateKey: testPrivateKey }, instance: { keyName: "k" } }).addressScheme, "eip");
    });
});
