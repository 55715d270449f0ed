import { strict as assert } from "assert";
import { calls, mockAws, runProgram } from "../support/pulumi-mocks";
import { named, ofType, single, typeCounts } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, createdConfig } from "../support/stack-configs";

const componentType = "idle-stop:index:IdleStop";
/** Resources the program shares across all watched instances (not part of one IdleStop). */
const stackShared = ["aws:cloudwatch/dashboard:Dashboard", "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription"];

describe("IdleStop program: what gets deployed", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    it("creates an instance with a profile, alarm, policy and agent push, all parented to the component", async () => {
        const run = await runProgram(createdConfig({ name: "devbox" }));
        assert.deepEqual(typeCounts(run.resources.filter((r) => !stackShared.includes(r.type))), {
            [componentType]: 1,
            "aws:iam/role:Role": 1,
            "aws:iam/instanceProfile:InstanceProfile": 1,
            "aws:ec2/securityGroup:SecurityGroup": 1,
            "aws:ec2/instance:Instance": 1,
            // The stable address (addressScheme eip, the default).
            "aws:ec2/eip:Eip": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
            "aws:iam/rolePolicy:RolePolicy": 1,
            "command:remote:CopyToRemote": 1,
            "command:remote:Command": 1,
            // The wake and sleep steps around the push (components/box-wake.ts).
            "command:local:Command": 2,
        });
        const component = single(run.resources, componentType);
        for (const child of run.resources.filter((r) => r !== component && !stackShared.includes(r.type))) {
            assert.equal(child.parentUrn, component.urn, `${child.type} ${child.name} should be a child of the IdleStop component`);
            assert.ok(child.name.startsWith("devbox"), `child name ${child.name} derives from the component name`);
        }
    });

    it("gives a created instance IMDSv2, the profile, the SSH security group and Node.js user data", async () => {
        const run = await runProgram(createdConfig({ sshIngressCidrs: '["203.0.113.7/32"]', sshPort: "2222" }));
        const instance = single(run.resources, "aws:ec2/instance:Instance").inputs;
        assert.equal((instance.metadataOptions as Record<string, unknown>).httpTokens, "required");
        assert.equal(instance.keyName, "dev-key");
        assert.equal(instance.instanceType, "t3.micro");
        assert.equal(instance.ami, "ami-0123456789abcdef0");
        assert.match(String(instance.userData), /latest-v22\.x\/SHASUMS256\.txt/);
        assert.match(String(instance.userData), /sha256sum -c/);
        const profile = single(run.resources, "aws:iam/instanceProfile:InstanceProfile");
        assert.ok(String(instance.iamInstanceProfile).startsWith(profile.name));
        const group = single(run.resources, "aws:ec2/securityGroup:SecurityGroup").inputs;
        assert.deepEqual(group.ingress, [{ cidrBlocks: ["203.0.113.7/32"], description: "SSH", fromPort: 2222, protocol: "tcp", toPort: 2222 }]);
        const ami = calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
        assert.ok(ami, "the default AMI is looked up");
        assert.deepEqual(ami.inputs.owners, ["099720109477"]);
        assert.match(JSON.stringify(ami.inputs.filters), /ubuntu-noble-24\.04-amd64-server/);
    });

    it("creates a key pair from sshPublicKey when no keyName is given", async () => {
        const run = await runProgram({ sshPrivateKey: "k", sshPublicKey: "ssh-ed25519 AAAAC3Nza test" });
        const keyPair = single(run.resources, "aws:ec2/keyPair:KeyPair");
        assert.equal(keyPair.inputs.publicKey, "ssh-ed25519 AAAAC3Nza test");
    });

    it("adopts an instance without declaring it, with an IAM user identity", async () => {
        const run = await runProgram(adoptedConfig({ name: "cloud9" }));
        assert.equal(single(run.resources, "aws:cloudwatch/dashboard:Dashboard").parentUrn.includes("IdleStop"), false);
        assert.deepEqual(typeCounts(run.resources.filter((r) => !stackShared.includes(r.type))), {
            [componentType]: 1,
            "aws:iam/user:User": 1,
            "aws:iam/accessKey:AccessKey": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
            "aws:iam/userPolicy:UserPolicy": 1,
            "command:remote:CopyToRemote": 1,
            "command:remote:Command": 1,
            // The wake and sleep steps around the push (components/box-wake.ts).
            "command:local:Command": 2,
        });
        // No aws:ec2/instance:Instance resource: nothing in state that destroy could terminate.
        assert.equal(ofType(run.resources, "aws:ec2/instance:Instance").length, 0);
        assert.equal(ofType(run.resources, "aws:ec2/securityGroup:SecurityGroup").length, 0);
        const lookup = calls.filter((c) => c.token === "aws:ec2/getInstance:getInstance");
        assert.equal(lookup.length, 1);
        assert.equal(lookup[0].inputs.instanceId, adoptedInstanceId);
        const component = single(run.resources, componentType);
        for (const child of run.resources.filter((r) => r !== component && !stackShared.includes(r.type))) {
            assert.equal(child.parentUrn, component.urn, `${child.type} should be a child of the component`);
        }
    });

    it("exports the instance id, alarm name and ARN, SSH command and console URL", async () => {
        const run = await runProgram(adoptedConfig({ sshPort: "2200" }));
        const alarm = named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "devbox-idle");
        assert.equal(run.outputs.instanceId, adoptedInstanceId);
        assert.match(String(run.outputs.alarmName), new RegExp(`^${alarm.name}`));
        assert.equal(run.outputs.alarmArn, `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${run.outputs.alarmName}`);
        assert.equal(run.outputs.sshCommand, "ssh -p 2200 ec2-user@ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.equal(
            run.outputs.alarmConsoleUrl,
            `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/${run.outputs.alarmName}`,
        );
    });

    it("uses the partition's console domain", async () => {
        mockAws.region = "cn-north-1";
        const run = await runProgram(adoptedConfig());
        assert.match(String(run.outputs.alarmConsoleUrl), /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#alarmsV2:alarm\//);
    });

    it("can be imported by another program as a library", async () => {
        const library = await import("../../components");
        assert.equal(typeof library.IdleStop, "function");
        assert.equal(library.idleStopDefaults.idleMinutes, 15);
    });
});
