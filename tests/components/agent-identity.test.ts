import { strict as assert } from "assert";
import { PolicyDocument } from "../../components/agent-policy";
import { isWireSecret, mockAws, runProgram } from "../support/pulumi-mocks";
import { single } from "../support/resources";
import { adoptedConfig, createdConfig } from "../support/stack-configs";

function assertLeastPrivilege(policy: PolicyDocument, namespace: string): void {
    const actions = policy.Statement.flatMap((s) => s.Action);
    // No cloudwatch:SetAlarmState: with an instance profile any local user can use these
    // credentials, and setting the idle alarm to ALARM would stop the box at once.
    assert.deepEqual(actions, ["cloudwatch:PutMetricData"]);
    for (const statement of policy.Statement) {
        assert.equal(statement.Effect, "Allow");
    }
    const publish = policy.Statement.find((s) => s.Action.includes("cloudwatch:PutMetricData"))!;
    assert.deepEqual(publish.Condition, { StringEquals: { "cloudwatch:namespace": namespace } });
}

describe("agent identity", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    it("gives a created instance a role EC2 can assume, with a least-privilege inline policy", async () => {
        const run = await runProgram(createdConfig());
        const role = single(run.resources, "aws:iam/role:Role").inputs;
        assert.deepEqual(JSON.parse(String(role.assumeRolePolicy)), {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        const rolePolicy = single(run.resources, "aws:iam/rolePolicy:RolePolicy").inputs;
        assertLeastPrivilege(JSON.parse(String(rolePolicy.policy)), "IdleStop");
    });

    it("uses the China partition's EC2 principal", async () => {
        mockAws.region = "cn-north-1";
        const run = await runProgram(createdConfig());
        const role = single(run.resources, "aws:iam/role:Role").inputs;
        assert.match(String(role.assumeRolePolicy), /"Service":"ec2\.amazonaws\.com\.cn"/);
    });

    it("gives an adopted instance an IAM user whose policy is scoped to the configured namespace", async () => {
        const run = await runProgram(adoptedConfig({ namespace: "EC2" }));
        const userPolicy = single(run.resources, "aws:iam/userPolicy:UserPolicy").inputs;
        assertLeastPrivilege(JSON.parse(String(userPolicy.policy)), "EC2");
    });

    it("sends the access key to the box only as a secret on stdin", async () => {
        const run = await runProgram(adoptedConfig());
        const command = single(run.resources, "command:remote:Command");
        assert.ok(isWireSecret(command.wireInputs.stdin), "stdin (the credentials file) is a secret");
        assert.match(String(command.inputs.stdin), /^\[default\]\naws_access_key_id = AKIA\w+\naws_secret_access_key = mock-secret-access-key\n$/);
        assert.match(String(command.inputs.create), /--credentials-stdin/);
        for (const resource of run.resources) {
            const visible = JSON.stringify(resource.wireInputs, (_key, value) => (isWireSecret(value) ? "[secret]" : value));
            assert.ok(!visible.includes("mock-secret-access-key"), `${resource.type} exposes the secret access key`);
        }
    });

    it("can use an IAM user for a created instance (credentials: iam-user)", async () => {
        const run = await runProgram(createdConfig({ credentials: "iam-user" }));
        single(run.resources, "aws:iam/user:User");
        const instance = single(run.resources, "aws:ec2/instance:Instance").inputs;
        assert.equal(instance.iamInstanceProfile, undefined);
    });
});
