// `idle-stop status`, `start`, `stop` for a teammate with only AWS credentials: NO `pulumi` on PATH;
// the boxes are found from their idle alarms' tags (common/box-tags.ts) in two regions, against the
// local EC2 and CloudWatch endpoints (the real AWS SDK on both wire protocols).
import { strict as assert } from "assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BOX_TAG } from "../../common/box-tags";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { addDeployedBox, pathWithoutPulumi } from "./support-alarms";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";
const carolId = "i-0ccccccccccccccc3";

describe("idle-stop with only AWS credentials (boxes found from their alarms' tags, two regions)", function () {
    this.timeout(60000);
    let ec2: Ec2Endpoint;
    let cw: CloudWatchEndpoint;
    let env: NodeJS.ProcessEnv;
    let dir: string;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
        cw = await startCloudWatchEndpoint();
        dir = mkdtempSync(path.join(tmpdir(), "idle-stop-discovery-"));
        // AWS_REGION (clientEnv: eu-west-1) and the profile's region: both are searched.
        writeFileSync(path.join(dir, "config"), "[default]\nregion = us-east-2\n");
        env = clientEnv(cw.url, { AWS_ENDPOINT_URL_EC2: ec2.url, AWS_CONFIG_FILE: path.join(dir, "config"), PATH: pathWithoutPulumi() });
        assert.notEqual(spawnSync("sh", ["-c", "command -v pulumi"], { env }).status, 0, "pulumi must not be on PATH");
    });
    after(async () => {
        await ec2?.close();
        await cw?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        cw.reset();
        addDeployedBox(cw, {
            region: "eu-west-1",
            box: "alice",
            stack: "idle-stop/dev",
            instanceId: aliceId,
            idleMinutes: 15,
            sshHost: "alice.example.com",
        });
        // bob hibernates: his idle alarm's action is the stack's alarm-action function.
        addDeployedBox(cw, {
            region: "us-east-2",
            box: "bob",
            stack: "team/prod",
            instanceId: bobId,
            sshUser: "ubuntu",
            sshPort: 2222,
            alarmAction: "arn:aws:lambda:us-east-2:123456789012:function:idle-stop-alarm-action-4f2a9c1",
        });
        // An alarm that stops an instance but is not idle-stop's: no box tag, never listed or warned about.
        cw.addAlarm({
            region: "eu-west-1",
            name: "someone-elses",
            record: {
                Namespace: "AWS/EC2",
                MetricName: "CPUUtilization",
                Dimensions: [{ Name: "InstanceId", Value: carolId }],
                AlarmActions: ["arn:aws:automate:eu-west-1:ec2:stop"],
            },
            tags: { owner: "ops" },
        });
    });

    it("status finds both boxes in both regions (one hibernating), with their stacks and alarms, and never runs pulumi", async () => {
        ec2.addInstance({ id: aliceId, state: "running", name: "alice" });
        ec2.addInstance({ id: bobId, state: "stopped", name: "bob" });
        const r = await runLaptop(["status", "--json"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
        const statuses = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
        assert.deepEqual(
            statuses.map((s) => [s.name, s.stack, s.region, s.instanceId, s.state, s.idleMinutes]),
            [
                ["alice", "idle-stop/dev", "eu-west-1", aliceId, "running", 15],
                ["bob", "team/prod", "us-east-2", bobId, "stopped", 30],
            ],
        );
        assert.deepEqual(statuses[0].idleAlarm, { name: "alice-idle-aaaaaa1", state: "OK" });
        assert.deepEqual(statuses[0].silentAlarm, { name: "alice-silent-aaaaaa1", state: "OK" });
        assert.deepEqual(statuses[1].silentAlarm, { name: "bob-silent-bbbbbb2", state: "OK" });
        // Both regions asked, every request signed; tags read only for the alarms that stop an instance.
        const listed = cw.accepted("DescribeAlarms").filter((q) => q.params.AlarmNames === undefined);
        assert.deepEqual([...new Set(listed.map((q) => q.signature.region))].sort(), ["eu-west-1", "us-east-2"]);
        assert.ok(cw.requests.every((q) => q.signature.valid));
        assert.deepEqual(
            cw
                .accepted("ListTagsForResource")
                .map((q) => String(q.params.ResourceARN).replace(/.*:alarm:/, ""))
                .sort(),
            ["alice-idle-aaaaaa1", "bob-idle-bbbbbb2", "someone-elses"],
        );

        const text = await runLaptop(["status"], { env });
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /^alice \(i-0aaaaaaaaaaaaaaa1, eu-west-1, idle-stop\/dev\): running\n/);
        assert.match(text.stdout, /\nbob \(i-0bbbbbbbbbbbbbbb2, us-east-2, team\/prod\): stopped\n/);
    });

    it("--region limits the search (repeatable); --stack keeps one stack's boxes", async () => {
        ec2.addInstance({ id: aliceId, state: "running" });
        ec2.addInstance({ id: bobId, state: "stopped" });
        const names = async (args: string[]) => {
            const r = await runLaptop(["status", "--json", ...args], { env });
            assert.equal(r.code, 0, r.stderr);
            return (JSON.parse(r.stdout) as Array<{ name: string }>).map((s) => s.name);
        };
        assert.deepEqual(await names(["--region", "us-east-2"]), ["bob"]);
        assert.deepEqual(await names(["--region", "us-east-2", "--region", "eu-west-1"]), ["alice", "bob"]);
        const both = ["--region", "eu-west-1", "--region", "us-east-2"];
        assert.deepEqual(await names([...both, "--stack", "dev"]), ["alice"]);
        assert.deepEqual(await names([...both, "--stack", "team/prod"]), ["bob"]);
        // --stack without --region names a stack whose outputs to read: that needs Pulumi.
        const noPulumi = await runLaptop(["status", "--stack", "dev"], { env });
        assert.equal(noPulumi.code, 1);
        const bad = await runLaptop(["status", "--region", "eu-west-1; x"], { env });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--region "eu-west-1; x" is not/);
    });

    it("start wakes a box in the second region, stop stops one in the first", async () => {
        ec2.addInstance({ id: aliceId, state: "running" });
        ec2.addInstance({ id: bobId, state: "stopped" });
        const started = await runLaptop(["start", "bob"], { env });
        assert.equal(started.code, 0, started.stderr);
        assert.match(started.stdout, /^bob \(i-0bbbbbbbbbbbbbbb2\) is running at 127\.0\.0\.1\n$/);
        assert.equal(ec2.calls("StartInstances", bobId).length, 1);
        const stopped = await runLaptop(["stop", "alice"], { env });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.equal(stopped.stdout, "alice (i-0aaaaaaaaaaaaaaa1) is stopping\n");
        assert.equal(ec2.calls("StopInstances", aliceId).length, 1);
        const unknown = await runLaptop(["stop", "carol"], { env });
        assert.equal(unknown.code, 2);
        assert.equal(unknown.stderr, 'idle-stop: no watched instance named "carol"; found in AWS: alice, bob\n');
    });

    it("stop hibernates a box whose idle alarm acts through a Lambda function (action hibernate)", async () => {
        ec2.addInstance({ id: bobId, state: "running", hibernation: true });
        const before = ec2.calls("StopInstances", bobId).length;
        const r = await runLaptop(["stop", "bob"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "bob (i-0bbbbbbbbbbbbbbb2) is hibernating\n");
        const stops = ec2.calls("StopInstances", bobId).slice(before);
        assert.deepEqual(
            stops.map((c) => c.params.Hibernate),
            ["true"],
        );
        assert.equal(ec2.instance(bobId)!.hibernated, true);
    });

    it("a name two stacks use must be picked with --stack", async () => {
        addDeployedBox(cw, { region: "us-east-2", box: "alice", stack: "team/prod", instanceId: carolId });
        ec2.addInstance({ id: carolId, state: "running" });
        const both = await runLaptop(["stop", "alice"], { env });
        assert.equal(both.code, 2);
        assert.match(
            both.stderr,
            /"alice" is watched by several stacks \(idle-stop\/dev in eu-west-1, team\/prod in us-east-2\); pick one with --region NAME --stack PROJECT\/STACK/,
        );
        const picked = await runLaptop(["stop", "alice", "--region", "us-east-2", "--stack", "team/prod"], { env });
        assert.equal(picked.code, 0, picked.stderr);
        assert.equal(ec2.calls("StopInstances", carolId).length, 1);
    });

    it("skips an alarm whose tags hold a bad value, with a warning naming it; the others still show", async () => {
        addDeployedBox(cw, {
            region: "eu-west-1",
            box: "mallory",
            stack: "x/y",
            instanceId: carolId,
            tags: {
                [BOX_TAG.box]: "mallory",
                [BOX_TAG.stack]: "x/y",
                [BOX_TAG.sshUser]: "root\nProxyCommand evil",
                [BOX_TAG.sshPort]: "22",
                [BOX_TAG.adopted]: "true",
            },
        });
        ec2.addInstance({ id: aliceId, state: "running" });
        ec2.addInstance({ id: bobId, state: "running" });
        const r = await runLaptop(["status", "--json"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            (JSON.parse(r.stdout) as Array<{ name: string }>).map((s) => s.name),
            ["alice", "bob"],
        );
        assert.match(r.stderr, /^idle-stop: skipping the alarm "mallory-idle-cccccc3" in eu-west-1: idle-stop:ssh-user is not a user name/);
        assert.ok(!r.stderr.includes("\nProxyCommand"), "the bad value is never printed raw");
    });

    it("with a pulumi on PATH: its outputs first; --region, or a failing pulumi without --stack, mean AWS", async () => {
        ec2.addInstance({ id: aliceId, state: "running" });
        ec2.addInstance({ id: bobId, state: "running" });
        const pulumi = installFakePulumi({ outputs: { instances: { carol: boxOutput("carol", { instanceId: carolId, sshPort: 22 }) } } });
        try {
            const withPulumi = pulumi.pathEnv(env);
            ec2.addInstance({ id: carolId, state: "running" });
            const names = async (args: string[]) => {
                const r = await runLaptop(["status", "--json", ...args], { env: withPulumi });
                assert.equal(r.code, 0, r.stderr);
                return {
                    stderr: r.stderr,
                    found: (JSON.parse(r.stdout) as Array<{ name: string; stack?: string }>).map((x) => `${x.name}:${x.stack ?? "-"}`),
                };
            };
            assert.deepEqual((await names([])).found, ["carol:-"]);
            assert.deepEqual((await names(["--stack", "dev"])).found, ["carol:dev"]);
            const calls = pulumi.invocations().length;
            assert.deepEqual((await names(["--region", "eu-west-1"])).found, ["alice:idle-stop/dev"]);
            assert.equal(pulumi.invocations().length, calls, "--region never runs pulumi");
            pulumi.setExitCode("stack", 255);
            const fallback = await names([]);
            assert.deepEqual(fallback.found, ["alice:idle-stop/dev", "bob:team/prod"]);
            assert.match(fallback.stderr, /`pulumi stack output` failed \(exit 255\).*; finding the boxes from AWS instead\n$/);
            const pinned = await runLaptop(["status", "--stack", "dev"], { env: withPulumi });
            assert.equal(pinned.code, 1, "a stack asked for by name must answer");
        } finally {
            pulumi.remove();
        }
    });

    it("ssh-config prints one block per stack for boxes in two regions, each with its region and the tags' user and port", async () => {
        const r = await runLaptop(["ssh-config"], { env });
        assert.equal(r.code, 0, r.stderr);
        const blocks = r.stdout.split(/(?=# BEGIN idle-stop ssh-config)/);
        assert.equal(blocks.length, 2, r.stdout);
        const [dev, prod] = blocks;
        assert.match(dev, /stack idle-stop\/dev/);
        assert.match(dev, /^Host alice$/m);
        assert.match(dev, /--region eu-west-1/);
        assert.match(prod, /stack team\/prod/);
        assert.match(prod, /^Host bob$/m);
        assert.match(prod, /^\s+User ubuntu$/m);
        assert.match(prod, /^\s+Port 2222$/m);
        assert.match(prod, /--region us-east-2/);
    });

    it("with no region anywhere, says how to give one (exit 2)", async () => {
        const r = await runLaptop(["status"], { env: { ...env, AWS_REGION: "", AWS_CONFIG_FILE: "/dev/null" } });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^idle-stop: no region to search: give --region NAME/);
    });
});
