// `idle-stop deploy` / `idle-stop destroy` (npm run deploy / destroy) with sleeping boxes: the
// Pulumi step is a stand-in `pulumi` on PATH that records its argv and IDLE_STOP_SSH_HOSTS and
// checks, as Pulumi's SSH dial would, whether each host answers with an SSH banner at that moment.
// The boxes are a local EC2 endpoint's instances whose address is the loopback sshd.
import { strict as assert } from "assert";
import * as path from "node:path";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, FakePulumi, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { useSshd, waitUntil } from "../support/sshd";

let counter = 0;
function newId(): string {
    counter += 1;
    return `i-0${String(counter).padStart(15, "0")}d`;
}

describe("idle-stop deploy / destroy while boxes sleep", function () {
    this.timeout(90000);
    const sshd = useSshd();
    let ec2: Ec2Endpoint;
    let pulumi: FakePulumi;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
    });
    beforeEach(() => {
        pulumi = installFakePulumi();
        env = pulumi.pathEnv(clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url }));
    });
    afterEach(() => pulumi.remove());
    after(async () => {
        await ec2?.close();
    });

    const stopsOf = (id: string) => ec2.calls("StopInstances", id).length;
    const startsOf = (id: string) => ec2.calls("StartInstances", id).length;

    it("destroy wakes every sleeping box, records changed addresses first, destroys, and puts them back to sleep", async () => {
        const [alice, bob, carol] = [newId(), newId(), newId()];
        ec2.addInstance({ id: alice, state: "stopped" }); // adopted, stored address from before its last stop
        ec2.addInstance({ id: bob, state: "running" }); // running at the address state already has
        ec2.addInstance({ id: carol, state: "stopping" }); // adopted, sshHost configured (fixed)
        const port = sshd().port;
        const alices = boxOutput("alice", { instanceId: alice, sshPort: port, sshHost: "198.51.100.7" });
        pulumi.setOutputs({
            instances: {
                alice: alices,
                bob: boxOutput("bob", { instanceId: bob, sshPort: port, sshHost: "127.0.0.1", adopted: false }),
                carol: boxOutput("carol", { instanceId: carol, sshPort: port, sshHost: "127.0.0.1", sshHostFixed: true }),
            },
        });

        const r = await runLaptop(["destroy", "--stack", "dev", "--", "--yes"], { env });
        assert.equal(r.code, 0, r.stderr);
        const calls = pulumi.invocations();
        assert.deepEqual(
            calls.map((c) => c.argv),
            [
                ["stack", "output", "--json", "--stack", "dev"],
                ["up", "--yes", "--skip-preview", "--stack", "dev", "--target", String(alices.agentCommandUrn)],
                ["destroy", "--stack", "dev", "--yes"],
            ],
        );
        const [, refresh, destroy] = calls;
        const current = { alice: "127.0.0.1", bob: "127.0.0.1", carol: "127.0.0.1" };
        assert.deepEqual(refresh.hosts, current, "the program gets every box's current address");
        assert.equal(refresh.connectionOnly, "1", "the targeted update only moves the stored connection");
        assert.equal(destroy.connectionOnly, null);
        assert.deepEqual(destroy.hosts, current);
        assert.deepEqual(destroy.reachable, { alice: true, bob: true, carol: true }, "every box answers SSH while pulumi runs");
        assert.deepEqual(refresh.reachable, { alice: true, bob: true, carol: true });
        assert.ok(
            calls.every((c) => c.cwd === path.resolve(__dirname, "..", "..")),
            "pulumi runs in the repository root",
        );

        assert.equal(startsOf(alice), 1);
        assert.equal(startsOf(carol), 1, "a stopping box is waited for, then started");
        assert.equal(startsOf(bob), 0);
        // Back to sleep: the boxes that were asleep, not the one that was running.
        assert.equal(stopsOf(alice), 1);
        assert.equal(stopsOf(carol), 1);
        assert.equal(stopsOf(bob), 0);
        const destroyAt = destroy.at;
        assert.ok(ec2.calls("StopInstances", alice)[0].at > destroyAt, "stopped only after pulumi finished");
        assert.match(r.stderr, /idle-stop: alice was asleep: stopping it again/);
        await waitUntil(() => ec2.instance(alice)!.state === "stopped", 10000, "alice stopped again");
    });

    it("destroy still puts boxes back to sleep when pulumi fails, and exits with pulumi's code; a hibernating box is hibernated again", async () => {
        const [alice, dora] = [newId(), newId()];
        ec2.addInstance({ id: alice, state: "stopped" });
        ec2.addInstance({ id: dora, state: "stopped", hibernation: true });
        pulumi.setOutputs({
            instances: {
                alice: boxOutput("alice", { instanceId: alice, sshPort: sshd().port, sshHost: "127.0.0.1" }),
                // The stack's output names the hibernating box's action (index.ts).
                dora: { ...boxOutput("dora", { instanceId: dora, sshPort: sshd().port, sshHost: "127.0.0.1" }), action: "hibernate" },
            },
        });
        pulumi.setExitCode("destroy", 3);
        const r = await runLaptop(["destroy", "--stack", "dev"], { env });
        assert.equal(r.code, 3);
        assert.deepEqual(
            pulumi.invocations().map((c) => c.argv[0]),
            ["stack", "destroy"],
            "address unchanged: no targeted update",
        );
        assert.equal(startsOf(alice), 1);
        assert.equal(stopsOf(alice), 1);
        const hibernateFlags = (id: string) => ec2.calls("StopInstances", id).map((c) => c.params.Hibernate);
        assert.deepEqual(hibernateFlags(alice), [undefined], "a box that stops is stopped");
        assert.deepEqual(hibernateFlags(dora), ["true"], "a box that hibernates is hibernated, its memory kept");
        assert.match(r.stderr, /idle-stop: dora was asleep: hibernating it again/);
    });

    it("deploy wakes only the sleeping boxes whose agent the preview changes, with their current address", async () => {
        const [alice, bob, carol] = [newId(), newId(), newId()];
        ec2.addInstance({ id: alice, state: "stopped" });
        ec2.addInstance({ id: bob, state: "stopped" });
        ec2.addInstance({ id: carol, state: "running" });
        const port = sshd().port;
        const outputs = {
            alice: boxOutput("alice", { instanceId: alice, sshPort: port, sshHost: "198.51.100.7" }),
            bob: boxOutput("bob", { instanceId: bob, sshPort: port, sshHost: "198.51.100.8" }),
            carol: boxOutput("carol", { instanceId: carol, sshPort: port, sshHost: "198.51.100.9" }),
        };
        pulumi.setOutputs({ instances: outputs });
        pulumi.setPreview({
            steps: [
                { op: "same", urn: outputs.bob.agentCommandUrn },
                { op: "same", urn: outputs.bob.payloadUrn },
                { op: "replace", urn: outputs.alice.agentCommandUrn },
                { op: "update", urn: "urn:pulumi:dev::idle-stop::aws:cloudwatch/metricAlarm:MetricAlarm::bob-idle" },
            ],
        });
        const r = await runLaptop(["deploy", "--stack", "dev", "--yes"], { env });
        assert.equal(r.code, 0, r.stderr);
        const calls = pulumi.invocations();
        assert.deepEqual(
            calls.map((c) => c.argv),
            [
                ["stack", "output", "--json", "--stack", "dev"],
                ["preview", "--json", "--stack", "dev"],
                // alice (woken) and carol (running) have new addresses: a replaced agent command's delete
                // runs with the stored connection, so it is moved first.
                [
                    "up",
                    "--yes",
                    "--skip-preview",
                    "--stack",
                    "dev",
                    "--target",
                    String(outputs.alice.agentCommandUrn),
                    "--target",
                    String(outputs.carol.agentCommandUrn),
                ],
                ["up", "--stack", "dev", "--yes"],
            ],
        );
        // Preview: sleeping boxes keep their last known address (so an address alone changes
        // nothing), a running box gets its current one.
        assert.deepEqual(calls[1].hosts, { alice: "198.51.100.7", bob: "198.51.100.8", carol: "127.0.0.1" });
        assert.equal(calls[1].connectionOnly, null);
        assert.deepEqual(calls[2].hosts, { alice: "127.0.0.1", bob: "198.51.100.8", carol: "127.0.0.1" });
        assert.equal(calls[2].connectionOnly, "1");
        assert.deepEqual(calls[3].hosts, calls[2].hosts);
        assert.equal(calls[3].connectionOnly, null);
        assert.equal(calls[3].reachable.alice, true, "alice answers SSH while pulumi up runs");
        assert.equal(startsOf(alice), 1);
        assert.equal(startsOf(bob), 0, "bob's agent is unchanged: left asleep");
        assert.equal(stopsOf(alice), 1, "alice back to sleep");
        assert.equal(stopsOf(carol), 0);
        assert.match(r.stderr, /bob: agent unchanged, left asleep/);
    });

    it("deploy with every box awake, or nothing deployed yet, is just pulumi up", async () => {
        const carol = newId();
        ec2.addInstance({ id: carol, state: "running" });
        pulumi.setOutputs({ instances: { carol: boxOutput("carol", { instanceId: carol, sshPort: sshd().port, sshHost: "127.0.0.1" }) } });
        const r = await runLaptop(["deploy", "--stack", "dev"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            pulumi.invocations().map((c) => c.argv),
            [
                ["stack", "output", "--json", "--stack", "dev"],
                ["up", "--stack", "dev"],
            ],
        );
        assert.deepEqual(pulumi.invocations()[1].hosts, { carol: "127.0.0.1" });

        pulumi.remove();
        pulumi = installFakePulumi({ outputs: {} });
        const first = await runLaptop(["deploy", "--stack", "dev"], { env: pulumi.pathEnv(env) });
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual(
            pulumi.invocations().map((c) => c.argv),
            [
                ["stack", "output", "--json", "--stack", "dev"],
                ["up", "--stack", "dev"],
            ],
        );
        assert.equal(pulumi.invocations()[1].hosts, null);
    });
});
