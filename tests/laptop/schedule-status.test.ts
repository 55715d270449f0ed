// The laptop's view of a box's stopAt/startAt: read from the idle alarm's tags (common/box-tags.ts), shown by `status` as the next scheduled stop and start.
// In-process against the local CloudWatch and EC2 endpoints (the real AWS SDK on both wire protocols).
import { strict as assert } from "assert";
import { BOX_TAG, boxTags, parseBoxTags } from "../../common/box-tags";
import { collectStatus } from "../../laptop/src/aws/box-status";
import { discoverBoxes } from "../../laptop/src/aws/discovery";
import { formatStatus } from "../../laptop/src/commands/status";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { watchedBoxes } from "../../laptop/src/stack-outputs";
import { boxOutput } from "../support/fake-pulumi";
import { addDeployedBox } from "./support-alarms";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";
const base = { box: "alice", stack: "idle-stop/dev", sshUser: "ubuntu", sshPort: 22, adopted: true };

describe("scheduled stop and start on the laptop", function () {
    this.timeout(30000);

    it("parseBoxTags reads the schedule tags (day lists with '+'), defaults the zone to UTC, and refuses bad ones by name", () => {
        const tags = new Map(Object.entries(boxTags({ ...base, stopAt: "Mon,Wed,Fri 20:00", startAt: "Mon-Fri 8:30", timezone: "Europe/Berlin" })));
        assert.equal(tags.get(BOX_TAG.stopAt), "Mon+Wed+Fri 20:00");
        assert.equal(tags.get(BOX_TAG.startAt), "Mon-Fri 08:30");
        assert.deepEqual(parseBoxTags(tags), { ...base, stopAt: "Mon,Wed,Fri 20:00", startAt: "Mon-Fri 08:30", timezone: "Europe/Berlin" });
        const noZone = new Map(tags);
        noZone.delete(BOX_TAG.timezone);
        assert.equal((parseBoxTags(noZone) as { timezone?: string }).timezone, "UTC");
        // No schedule: no schedule fields, as before.
        assert.deepEqual(parseBoxTags(new Map(Object.entries(boxTags(base)))), base);
        const bad = (key: string, value: string) => parseBoxTags(new Map([...tags, [key, value]]));
        assert.match(String(bad(BOX_TAG.stopAt, "25:00")), /^idle-stop:stop-at is not a schedule/);
        assert.match(String(bad(BOX_TAG.startAt, "Mon,Fri 08:00")), /^idle-stop:start-at is not a schedule/);
        assert.match(String(bad(BOX_TAG.timezone, "Europe/Nowhere")), /^idle-stop:timezone is not an IANA time zone/);
    });

    it("reads the schedule from the stack's outputs too, checked: a bad one skips the box with a warning; none: no schedule", () => {
        const warnings: string[] = [];
        const outputs = {
            instances: {
                alice: { ...boxOutput("alice", { instanceId: aliceId, sshPort: 22 }), stopAt: "Mon-Fri 20:00", timezone: "Europe/Berlin" },
                bob: boxOutput("bob", { instanceId: bobId, sshPort: 22 }),
                carol: { ...boxOutput("carol", { instanceId: "i-0ccccccccccccccc3", sshPort: 22 }), startAt: "8:30", timezone: "Mars/Base" },
            },
        };
        const boxes = watchedBoxes(outputs, (w) => warnings.push(w)) ?? [];
        assert.deepEqual(
            boxes.map((b) => [b.name, b.schedule]),
            [
                ["alice", { stopAt: "Mon-Fri 20:00", startAt: undefined, timezone: "Europe/Berlin" }],
                ["bob", undefined],
            ],
        );
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /instance "carol": timezone "Mars\/Base" is not an IANA time zone/);
    });

    describe("status", () => {
        let ec2: Ec2Endpoint;
        let cw: CloudWatchEndpoint;
        const saved = { ...process.env };

        before(async () => {
            ec2 = await startEc2Endpoint();
            cw = await startCloudWatchEndpoint();
            for (const k of Object.keys(process.env)) delete process.env[k];
            Object.assign(process.env, clientEnv(cw.url, { AWS_ENDPOINT_URL_EC2: ec2.url }));
        });
        after(async () => {
            for (const k of Object.keys(process.env)) delete process.env[k];
            Object.assign(process.env, saved);
            await ec2?.close();
            await cw?.close();
        });

        it("shows the next scheduled stop and start of a box found from its alarm's tags; none for a box without a schedule", async () => {
            const region = "eu-west-1";
            addDeployedBox(cw, {
                region,
                box: "alice",
                stack: "idle-stop/dev",
                instanceId: aliceId,
                tags: {
                    "idle-stop": "alice",
                    ...boxTags({ ...base, stopAt: "Mon-Fri 20:00", startAt: "Mon-Fri 08:30", timezone: "Europe/Berlin" }),
                },
            });
            addDeployedBox(cw, { region, box: "bob", stack: "idle-stop/dev", instanceId: bobId });
            ec2.addInstance({ id: aliceId, state: "running", name: "alice" });
            ec2.addInstance({ id: bobId, state: "running", name: "bob" });

            const warnings: string[] = [];
            const boxes = await discoverBoxes([region], (w) => warnings.push(w));
            assert.deepEqual(warnings, []);
            assert.deepEqual(boxes.find((b) => b.name === "alice")?.schedule, {
                stopAt: "Mon-Fri 20:00",
                startAt: "Mon-Fri 08:30",
                timezone: "Europe/Berlin",
            });
            // Friday 2026-12-04 21:00 in Berlin: after the stop, so Monday's start comes before Monday's stop.
            const now = new Date("2026-12-04T20:00:00Z");
            const [alice, bob] = await collectStatus(boxes, now);
            assert.equal(alice.nextScheduledStop, "2026-12-07T19:00:00.000Z");
            assert.equal(alice.nextScheduledStart, "2026-12-07T07:30:00.000Z");
            assert.deepEqual([bob.nextScheduledStop, bob.nextScheduledStart, bob.schedule], [null, null, undefined]);

            const text = formatStatus([alice, bob], now).split("\n");
            assert.ok(text.includes("  scheduled stop  Mon-Fri 20:00 Europe/Berlin: next 2026-12-07 19:00 UTC (in 71 h 0 min)"), text.join("\n"));
            assert.ok(text.includes("  scheduled start Mon-Fri 08:30 Europe/Berlin: next 2026-12-07 07:30 UTC (in 59 h 30 min)"), text.join("\n"));
            assert.equal(text.filter((l) => l.includes("scheduled")).length, 2, "bob has no schedule lines");
        });
    });
});
