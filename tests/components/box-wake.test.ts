import { strict as assert } from "assert";
import * as path from "node:path";
import { portablePath } from "../../components/box-wake";
import { connectionOnlyEnv } from "../../common/address-overrides";
import { mockAws, RecordedResource, runProgram } from "../support/pulumi-mocks";
import { named, single } from "../support/resources";
import { adoptedConfig, createdConfig } from "../support/stack-configs";

function dependsOn(resource: RecordedResource, on: RecordedResource): boolean {
    return resource.dependencies.includes(on.urn);
}

describe("waking the box for the agent push inside the program", () => {
    beforeEach(() => {
        mockAws.region = "eu-west-1";
    });

    for (const [kind, config] of [
        ["created", () => createdConfig({ name: "devbox" })],
        ["adopted", () => adoptedConfig({ name: "devbox" })],
    ] as const) {
        it(`orders wake -> copy -> install -> sleep for a ${kind} box`, async () => {
            const run = await runProgram(config());
            const wake = named(run.resources, "command:local:Command", "devbox-wake");
            const copy = single(run.resources, "command:remote:CopyToRemote");
            const install = single(run.resources, "command:remote:Command");
            const sleep = named(run.resources, "command:local:Command", "devbox-sleep");
            assert.ok(dependsOn(copy, wake), "the copy runs after the wake");
            assert.ok(dependsOn(install, wake) && dependsOn(install, copy), "the install (and, at destroy, the uninstall) runs inside the wake");
            assert.ok(dependsOn(sleep, install) && dependsOn(sleep, wake), "the sleep runs after the install");
            assert.ok(!dependsOn(wake, install) && !dependsOn(wake, sleep) && !dependsOn(install, sleep), "no cycle back");
            if (kind === "created") {
                assert.ok(dependsOn(wake, single(run.resources, "aws:ec2/instance:Instance")), "the wake needs the instance");
            }
        });
    }

    it("up wakes in the wake's create and sleeps in the sleep's create; destroy does the reverse in their deletes", async () => {
        const run = await runProgram(createdConfig({ name: "devbox" }));
        const wake = named(run.resources, "command:local:Command", "devbox-wake").inputs;
        const sleep = named(run.resources, "command:local:Command", "devbox-sleep").inputs;
        const instanceId = String(named(run.resources, "aws:ec2/eip:Eip", "devbox-address").inputs.instance);
        const host = String((single(run.resources, "command:remote:Command").inputs.connection as Record<string, unknown>).host);
        assert.match(String(wake.create), new RegExp(`box-power\\.ts'? wake --region eu-west-1 --instance ${instanceId} --host ${host} --port 22$`));
        assert.match(
            String(sleep.create),
            new RegExp(`box-power\\.ts'? sleep --region eu-west-1 --instance ${instanceId} --woke "\\$\\{IDLE_STOP_WOKE:-\\}"$`),
        );
        // Pulumi deletes the sleep (a dependent) first: its delete wakes; the wake's delete, last, sleeps.
        assert.match(String(sleep.delete), / wake .* --marker$/);
        assert.match(String(wake.delete), / sleep .* --marker$/);
        // The same stack deployed from another checkout records the same commands: no path of this one.
        const repo = path.resolve(__dirname, "..", "..");
        for (const [step, inputs] of [
            ["wake", wake],
            ["sleep", sleep],
        ] as const) {
            for (const verb of ["create", "delete"]) {
                const text = String(inputs[verb]);
                assert.ok(!text.includes(repo) && !text.includes("/node_modules/"), `${step}.${verb} names a path of this checkout: ${text}`);
                assert.match(text, /^node -r ts-node\/register\/transpile-only components\/box-power\.ts (wake|sleep) /, `${step}.${verb}`);
            }
        }
    });

    it("a hibernating box's sleep commands carry --hibernate (a stopping box's do not: above), and its outputs say so", async () => {
        const run = await runProgram(createdConfig({ name: "devbox", action: "hibernate" }));
        const wake = named(run.resources, "command:local:Command", "devbox-wake").inputs;
        const sleep = named(run.resources, "command:local:Command", "devbox-sleep").inputs;
        // up's sleep (its create) and destroy's (the wake's delete) both hibernate; waking takes no flag.
        assert.match(String(sleep.create), / sleep --region eu-west-1 --instance \S+ --hibernate --woke /);
        assert.match(String(wake.delete), / sleep .* --hibernate --marker$/);
        assert.doesNotMatch(String(wake.create), /--hibernate/);
        assert.doesNotMatch(String(sleep.delete), /--hibernate/);
        // The pair is replaced when a box turns to hibernate, so the new sleep never acts on an old wake's word.
        assert.ok((sleep.triggers as unknown[]).includes("hibernate"));
        // The laptop's `stop` reads it from the stack's outputs (laptop/src/stack-outputs.ts).
        assert.equal((run.outputs.instances as Record<string, Record<string, unknown>>).devbox.action, "hibernate");
    });

    it("names the script relative to the working directory, else under $HOME, else by its absolute path", () => {
        const home = "/home/ann";
        assert.equal(portablePath("/src/app/components/box-power.ts", "/src/app", home), "components/box-power.ts");
        assert.equal(portablePath("/home/ann/.pulumi/plugins/x y/box-power.ts", "/src/app", home), `"$HOME"/'.pulumi/plugins/x y/box-power.ts'`);
        assert.equal(portablePath("/opt/idle-stop/box-power.ts", "/src/app", home), "/opt/idle-stop/box-power.ts");
        assert.equal(portablePath("/src/app/-x/box-power.ts", "/src/app", home), "./-x/box-power.ts");
        assert.equal(portablePath("/src/box-power.ts", "/src/app", "/"), "/src/box-power.ts", "a home of / is no anchor");
    });

    it("a new agent release replaces the wake and sleep with the push, so the old uninstall is framed by them too", async () => {
        const run = await runProgram(createdConfig({ name: "devbox" }));
        const release = (single(run.resources, "command:remote:Command").inputs.triggers as unknown[])[0];
        for (const step of ["devbox-wake", "devbox-sleep"]) {
            assert.equal((named(run.resources, "command:local:Command", step).inputs.triggers as unknown[])[0], release, step);
        }
        const changed = await runProgram(createdConfig({ name: "devbox", idleMinutes: "31" }));
        const newRelease = (single(changed.resources, "command:remote:Command").inputs.triggers as unknown[])[0];
        assert.notEqual(newRelease, release);
        assert.equal((named(changed.resources, "command:local:Command", "devbox-wake").inputs.triggers as unknown[])[0], newRelease);
    });

    it("declares no wake or sleep in the lifecycle's connection-only run (its `--target` run needs no new dependency)", async () => {
        process.env[connectionOnlyEnv] = "1";
        try {
            const run = await runProgram(createdConfig({ name: "devbox" }));
            assert.equal(run.resources.filter((r) => r.type === "command:local:Command").length, 0);
            const install = single(run.resources, "command:remote:Command");
            assert.ok(install.dependencies.includes(single(run.resources, "command:remote:CopyToRemote").urn));
            assert.ok(!install.dependencies.some((urn) => urn.includes("command:local:Command")));
        } finally {
            delete process.env[connectionOnlyEnv];
        }
    });
});
