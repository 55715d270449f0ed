// `idle-stop status`, `start`, `stop` against local EC2 and CloudWatch endpoints (the real AWS SDK
// on both wire protocols), with the stack outputs from a stand-in `pulumi` on PATH.
import { strict as assert } from "assert";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, FakePulumi, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, runLaptop } from "../support/laptop";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";
const minute = 60_000;

describe("idle-stop status / start / stop", function () {
    this.timeout(60000);
    let ec2: Ec2Endpoint;
    let cw: CloudWatchEndpoint;
    let pulumi: FakePulumi;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
        cw = await startCloudWatchEndpoint();
        pulumi = installFakePulumi({
            outputs: {
                instances: {
                    alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22, idleMinutes: 15 }),
                    bob: boxOutput("bob", { instanceId: bobId, sshPort: 22, idleMinutes: 30 }),
                },
            },
        });
        env = pulumi.pathEnv(clientEnv(cw.url, { AWS_ENDPOINT_URL_EC2: ec2.url }));
    });
    after(async () => {
        await ec2?.close();
        await cw?.close();
        pulumi?.remove();
    });

    it("shows state, alarms, the last datapoint, minutes idle and the expected stop", async () => {
        ec2.addInstance({ id: aliceId, state: "running", name: "alice" });
        ec2.addInstance({ id: bobId, state: "stopped", name: "bob" });
        cw.alarms.set("alice-idle-1234567", "OK");
        cw.alarms.set("alice-silent-1234567", "OK");
        cw.alarms.set("bob-idle-1234567", "ALARM");
        cw.alarms.set("bob-silent-1234567", "INSUFFICIENT_DATA");
        const newest = Math.floor(Date.now() / minute) * minute - minute;
        // Newest first: three idle minutes after one with two sessions.
        [0, 0, 0, 2, 0].forEach((value, age) =>
            cw.seedDatapoint({
                namespace: "IdleStop",
                metricName: "ActiveSessions",
                instanceId: aliceId,
                timestamp: newest - age * minute + 5000,
                value,
            }),
        );
        // Another instance's datapoints must not leak in.
        cw.seedDatapoint({ namespace: "IdleStop", metricName: "ActiveSessions", instanceId: "i-0ccccccccccccccc3", timestamp: newest, value: 9 });

        const r = await runLaptop(["status", "--json", "--stack", "dev"], { env });
        assert.equal(r.code, 0, r.stderr);
        const statuses = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
        assert.deepEqual(
            statuses.map((s) => s.name),
            ["alice", "bob"],
        );
        const [alice, bob] = statuses;
        assert.equal(alice.state, "running");
        assert.deepEqual(alice.idleAlarm, { name: "alice-idle-1234567", state: "OK" });
        assert.deepEqual(alice.silentAlarm, { name: "alice-silent-1234567", state: "OK" });
        assert.deepEqual(alice.lastDatapoint, { timestamp: new Date(newest).toISOString(), value: 0 });
        assert.equal(alice.minutesIdle, 3);
        assert.equal(alice.idleMinutes, 15);
        // 12 more idle periods after the newest, then the alarm acts when that period ends.
        assert.equal(alice.expectedStop, new Date(newest + (15 - 3 + 1) * minute).toISOString());
        assert.equal(bob.state, "stopped");
        assert.deepEqual(bob.idleAlarm, { name: "bob-idle-1234567", state: "ALARM" });
        assert.deepEqual(bob.silentAlarm, { name: "bob-silent-1234567", state: "INSUFFICIENT_DATA" });
        assert.equal(bob.lastDatapoint, null);
        assert.equal(bob.expectedStop, null);

        const ops = cw.requests.map((q) => `${q.protocol}:${q.operation}`).sort();
        assert.deepEqual([...new Set(ops)], ["awsJson1_0:DescribeAlarms", "awsJson1_0:GetMetricData"]);
        assert.ok(cw.requests.every((q) => q.signature.valid));
        const query = cw.accepted("GetMetricData")[0].params;
        assert.equal(query.ScanBy, "TimestampDescending");

        const text = await runLaptop(["status"], { env });
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, new RegExp(`^alice \\(${aliceId}, eu-west-1\\): running\\n  idle alarm      OK \\(alice-idle-1234567\\)\\n`));
        assert.match(text.stdout, / {2}idle {12}3 of 15 minutes\n/);
        assert.match(text.stdout, / {2}expected stop {3}about \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 1[123] min\) if nobody connects\n/);
        assert.match(text.stdout, /bob \(i-0bbbbbbbbbbbbbbb2, eu-west-1\): stopped\n {2}idle alarm {6}ALARM/);
        assert.deepEqual(
            pulumi.invocations().map((i) => i.argv.slice(0, 3)),
            [
                ["stack", "output", "--json"],
                ["stack", "output", "--json"],
            ],
        );
    });

    it("names the missing CloudWatch permission", async () => {
        cw.failWith(
            { status: 403, type: "AccessDenied", message: "User: x is not authorized to perform: cloudwatch:GetMetricData" },
            { operations: ["GetMetricData"] },
        );
        try {
            const r = await runLaptop(["status"], { env });
            assert.equal(r.code, 1);
            assert.match(
                r.stderr,
                /^idle-stop: missing permission cloudwatch:GetMetricData on IdleStop\/ActiveSessions in eu-west-1: your AWS identity is not allowed to call it \(AccessDenied\)\n$/,
            );
        } finally {
            cw.recover();
        }
    });

    it("start NAME starts a stopped box and waits until it runs; stop NAME stops it", async () => {
        const before = ec2.calls("StartInstances", bobId).length;
        const started = await runLaptop(["start", "bob"], { env });
        assert.equal(started.code, 0, started.stderr);
        assert.equal(ec2.calls("StartInstances", bobId).length, before + 1);
        assert.equal(started.stdout, `bob (${bobId}) is running at 127.0.0.1\n`);
        assert.match(started.stderr, /idle-stop: bob is stopped; starting it/);

        const stopped = await runLaptop(["stop", "bob"], { env });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.equal(stopped.stdout, `bob (${bobId}) is stopping\n`);
        assert.equal(ec2.instance(bobId)!.state, "stopping");
        assert.equal(ec2.calls("StopInstances", bobId).length, 1);

        const unknown = await runLaptop(["start", "carol"], { env });
        assert.equal(unknown.code, 2);
        assert.equal(unknown.stderr, 'idle-stop: no watched instance named "carol"; the stack has: alice, bob\n');
        assert.equal((await runLaptop(["start"], { env })).code, 2);
    });
});
