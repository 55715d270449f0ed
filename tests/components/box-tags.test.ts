// The tags each idle alarm carries so the laptop command can find its box from AWS alone (common/box-tags.ts), on Pulumi mocks.
import { strict as assert } from "assert";
import { BOX_TAG, parseBoxTags } from "../../common/box-tags";
import { mockAws, runProgram } from "../support/pulumi-mocks";
import { named, ofType } from "../support/resources";
import { adoptedConfig, createdConfig, registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";

function tagsOf(inputs: Record<string, unknown>): Map<string, string> {
    return new Map(Object.entries((inputs.tags ?? {}) as Record<string, string>));
}

describe("box tags on the idle alarm", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    it("an adopted box with a fixed address: name, project/stack, user, port, host, adopted; the laptop's parser reads them back", async () => {
        const run = await runProgram(adoptedConfig({ sshPort: "2222", sshHost: "devbox.example.com" }));
        const tags = tagsOf(named(run.resources, alarmType, "devbox-idle").inputs);
        assert.equal(tags.get(BOX_TAG.box), "devbox");
        assert.equal(tags.get(BOX_TAG.stack), "idle-stop/test");
        assert.equal(tags.get(BOX_TAG.sshUser), "ec2-user");
        assert.equal(tags.get(BOX_TAG.sshPort), "2222");
        assert.equal(tags.get(BOX_TAG.sshHost), "devbox.example.com");
        assert.equal(tags.get(BOX_TAG.adopted), "true");
        // The user's own tags stay.
        assert.equal(tags.get("idle-stop"), "devbox");
        assert.deepEqual(parseBoxTags(tags), {
            box: "devbox",
            stack: "idle-stop/test",
            sshUser: "ec2-user",
            sshPort: 2222,
            sshHost: "devbox.example.com",
            adopted: true,
        });
    });

    it("a created box without a fixed address has no host tag and adopted false", async () => {
        const run = await runProgram(createdConfig());
        const tags = tagsOf(named(run.resources, alarmType, "devbox-idle").inputs);
        assert.equal(tags.has(BOX_TAG.sshHost), false);
        assert.equal(tags.get(BOX_TAG.adopted), "false");
        assert.equal(tags.get(BOX_TAG.sshPort), "22");
        const parsed = parseBoxTags(tags);
        assert.ok(typeof parsed === "object" && parsed.sshHost === undefined, String(parsed));
    });

    it("only the idle alarm carries them (the silent-agent and warning alarms do not), one per fleet entry", async () => {
        registerAdoptedInstance("i-0aaaaaaaaaaaaaaa1");
        registerAdoptedInstance("i-0bbbbbbbbbbbbbbb2");
        const run = await runProgram({
            sshPrivateKey: testPrivateKey,
            notificationEmail: "ops@example.com",
            instances: JSON.stringify([
                { name: "alice", instanceId: "i-0aaaaaaaaaaaaaaa1", sshUser: "ec2-user" },
                { name: "bob", instanceId: "i-0bbbbbbbbbbbbbbb2", sshPort: 2200, sampleSeconds: 60 },
            ]),
        });
        const tagged = ofType(run.resources, alarmType).filter((r) => tagsOf(r.inputs).has(BOX_TAG.box));
        assert.deepEqual(tagged.map((r) => r.name).sort(), ["alice-idle", "bob-idle"]);
        assert.ok(ofType(run.resources, alarmType).length > 2);
        assert.equal(tagsOf(named(run.resources, alarmType, "bob-idle").inputs).get(BOX_TAG.sshPort), "2200");
        // bob's agent samples every 60 s: the laptop learns it from the tag (savings counts each sample as 60 s);
        // alice's default 10 needs no tag. The stack's outputs carry both.
        const bobTags = tagsOf(named(run.resources, alarmType, "bob-idle").inputs);
        assert.equal(bobTags.get(BOX_TAG.sampleSeconds), "60");
        assert.equal(BOX_TAG.sampleSeconds, "idle-stop:sample-seconds");
        assert.equal((parseBoxTags(bobTags) as { sampleSeconds?: number }).sampleSeconds, 60);
        assert.equal(tagsOf(named(run.resources, alarmType, "alice-idle").inputs).has(BOX_TAG.sampleSeconds), false);
        const outputs = run.outputs.instances as Record<string, Record<string, unknown>>;
        assert.deepEqual([outputs.alice.sampleSeconds, outputs.bob.sampleSeconds], [10, 60]);
    });

    it("the sample-seconds tag is read back within the program's range (1 to 60); none means the default", () => {
        const base = new Map(
            Object.entries({
                [BOX_TAG.box]: "devbox",
                [BOX_TAG.stack]: "idle-stop/test",
                [BOX_TAG.sshUser]: "ec2-user",
                [BOX_TAG.sshPort]: "22",
                [BOX_TAG.adopted]: "true",
            }),
        );
        const withTag = (value: string) => parseBoxTags(new Map([...base, [BOX_TAG.sampleSeconds, value]]));
        const parsed = parseBoxTags(base);
        assert.ok(typeof parsed === "object" && parsed.sampleSeconds === undefined, String(parsed));
        assert.equal((withTag("1") as { sampleSeconds: number }).sampleSeconds, 1);
        assert.equal((withTag("60") as { sampleSeconds: number }).sampleSeconds, 60);
        for (const bad of ["0", "61", "3600", "6e1", "-5", " 10", "10.5", ""])
            assert.equal(withTag(bad), "idle-stop:sample-seconds is not a whole number from 1 to 60", JSON.stringify(bad));
    });
});
