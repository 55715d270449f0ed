// A fleet across regions: one provider per region, each entry's resources in its own region, one dashboard for all.
import * as aws from "@pulumi/aws";
import { strict as assert } from "assert";
import { IdleStop } from "../../components";
import { WatchedInstanceOutputs } from "../../common/stack-outputs";
import { mockAws, programError, recorded, RecordedResource, resolve, runProgram, settle } from "../support/pulumi-mocks";
import { named, ofType, single } from "../support/resources";
import { registerAdoptedInstance, testPrivateKey } from "../support/stack-configs";

const home = { name: "home", instanceId: "i-0aaaaaaaaaaaaaaa1" };
const dublin = { name: "dublin", instanceId: "i-0bbbbbbbbbbbbbbb2", region: "eu-west-1" };
const sydney = { name: "sydney", keyName: "team-key", region: "ap-southeast-2" };
/** A second box in the same region: the region's provider is shared. */
const dublin2 = { ...dublin, name: "dublin2", instanceId: "i-0ddddddddddddddd4" };
/** Names the stack's own region: served by the default provider, like an entry without one. */
const virginia = { name: "virginia", instanceId: "i-0ccccccccccccccc3", region: "us-east-1" };

function regionsConfig(entries: object[], extra: Record<string, string> = {}): Record<string, string> {
    for (const id of [home.instanceId, dublin.instanceId, virginia.instanceId, dublin2.instanceId]) registerAdoptedInstance(id);
    return { "aws:region": "us-east-1", sshPrivateKey: testPrivateKey, instances: JSON.stringify(entries), ...extra };
}

/** The URN part of a provider reference (`URN::ID`; URNs contain `::` themselves). */
function providerUrnOf(reference: string): string {
    return reference.slice(0, reference.lastIndexOf("::"));
}

interface Widget {
    type: string;
    properties: Record<string, unknown>;
}
type MetricLine = Array<string | Record<string, unknown>>;

function dashboardWidgets(resources: RecordedResource[]): Widget[] {
    const body = String(single(resources, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
    return (JSON.parse(body) as { widgets: Widget[] }).widgets;
}

/** The regions a widget titled like `title` graphs `instanceId` in: each line's own region, else the widget's. */
function lineRegions(widgets: Widget[], title: RegExp, instanceId: string): unknown[] {
    const widget = widgets.find((w) => title.test(String(w.properties.title)));
    assert.ok(widget, `a widget titled ${title}`);
    const lines = (widget.properties.metrics as MetricLine[]).filter((l) => l.includes(instanceId));
    assert.ok(lines.length > 0, `a line for ${instanceId} in ${String(widget.properties.title)}`);
    return [...new Set(lines.map((line) => (line[line.length - 1] as Record<string, unknown>).region ?? widget.properties.region))];
}

function agentJson(resources: RecordedResource[], entry: string): Record<string, unknown> {
    const create = String(named(resources, "command:remote:Command", `${entry}-agent`).inputs.create);
    return JSON.parse(Buffer.from(/--config-b64 (\S+)/.exec(create)![1], "base64").toString("utf8")) as Record<string, unknown>;
}

describe("fleets across regions", () => {
    beforeEach(() => {
        mockAws.region = "us-east-1";
    });

    it("declares one provider per other region and gives each entry's resources its region's provider", async () => {
        const run = await runProgram(regionsConfig([home, dublin, sydney, virginia, dublin2]));
        const providers = ofType(run.resources, "pulumi:providers:aws");
        assert.deepEqual(providers.map((p) => [p.name, p.inputs.region]).sort(), [
            ["idle-stop-ap-southeast-2", "ap-southeast-2"],
            ["idle-stop-eu-west-1", "eu-west-1"],
        ]);
        const providerUrn = (region: string) => named(run.resources, "pulumi:providers:aws", `idle-stop-${region}`).urn;
        const providerOf = (type: string, name: string) => providerUrnOf(named(run.resources, type, name).provider);
        const expected: Array<[string, string | undefined]> = [
            ["home", undefined],
            ["virginia", undefined],
            ["dublin", providerUrn("eu-west-1")],
            ["dublin2", providerUrn("eu-west-1")],
            ["sydney", providerUrn("ap-southeast-2")],
        ];
        const defaultProvider = providerOf("aws:cloudwatch/metricAlarm:MetricAlarm", "home-idle");
        assert.ok(!providers.some((p) => p.urn === defaultProvider), "the stack's default provider is none of the regional ones");
        for (const [entry, urn] of expected) {
            for (const [type, name] of [
                ["aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-idle`],
                ["aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-silent`],
                // The agent's identity: an IAM role for the created box, a user for adopted ones.
                [entry === "sydney" ? "aws:iam/role:Role" : "aws:iam/user:User", `${entry}-agent`],
            ]) {
                const provider = providerOf(type, name);
                if (urn === undefined) assert.equal(provider, defaultProvider, `${name} uses the stack's default provider`);
                else assert.equal(provider, urn, `${name} uses its region's provider`);
            }
        }
        assert.equal(providerOf("aws:ec2/instance:Instance", "sydney"), providerUrn("ap-southeast-2"), "the created instance too");
        assert.equal(providerOf("aws:ec2/securityGroup:SecurityGroup", "sydney-ssh"), providerUrn("ap-southeast-2"));
        const sydneyAmi = run.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
        assert.equal(providerUrnOf(sydneyAmi?.provider ?? ""), providerUrn("ap-southeast-2"), "the AMI is looked up in the entry's region");
    });

    it("puts each entry's region in its alarm actions, agent.json, console links and stack outputs", async () => {
        const run = await runProgram(regionsConfig([home, dublin, sydney]));
        const idle = (entry: string) => named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-idle`).inputs;
        assert.deepEqual(idle("home").alarmActions, ["arn:aws:automate:us-east-1:ec2:stop"]);
        assert.deepEqual(idle("dublin").alarmActions, ["arn:aws:automate:eu-west-1:ec2:stop"]);
        assert.deepEqual(idle("sydney").alarmActions, ["arn:aws:automate:ap-southeast-2:ec2:stop"]);

        assert.equal(agentJson(run.resources, "home").region, "us-east-1");
        assert.equal(agentJson(run.resources, "dublin").region, "eu-west-1");
        assert.equal(agentJson(run.resources, "sydney").region, "ap-southeast-2");

        const instances = run.outputs.instances as Record<string, WatchedInstanceOutputs>;
        assert.equal(instances.home.region, "us-east-1");
        assert.equal(instances.dublin.region, "eu-west-1");
        assert.equal(instances.sydney.region, "ap-southeast-2");
        assert.match(instances.dublin.alarmConsoleUrl, /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#/);
        assert.match(instances.sydney.silentAlarmConsoleUrl, /region=ap-southeast-2#/);
    });

    it("covers every region on the one dashboard, each metric line and per-box widget with its own region", async () => {
        const run = await runProgram(regionsConfig([home, dublin, sydney]));
        const instances = run.outputs.instances as Record<string, WatchedInstanceOutputs>;
        const widgets = dashboardWidgets(run.resources);
        const regions = { home: "us-east-1", dublin: "eu-west-1", sydney: "ap-southeast-2" };
        for (const [entry, region] of Object.entries(regions)) {
            const id = instances[entry].instanceId;
            assert.deepEqual(lineRegions(widgets, /^Active sessions/, id), [region], `${entry}'s sessions and connected lines`);
            assert.deepEqual(lineRegions(widgets, /^Instance running/, id), [region], `${entry}'s running line`);
            const keptUp = widgets.find(
                (w) => w.properties.title === `Why ${entry} is up: what each kind of signal added to active sessions, per minute`,
            );
            assert.equal(keptUp?.properties.region, region, `${entry}'s "why is it up" widget`);
            assert.deepEqual(lineRegions([keptUp], /^Why /, id), [region], `${entry}'s "why is it up" lines`);
        }
        for (const title of [/^Active sessions/, /^Instance running/]) {
            assert.equal(
                widgets.find((w) => title.test(String(w.properties.title)))?.properties.region,
                "us-east-1",
                "fleet-wide widgets in the stack's region",
            );
        }
        const alarms = widgets.find((w) => w.type === "alarm")!.properties.alarms as string[];
        assert.ok(
            alarms.some((arn) => arn.startsWith("arn:aws:cloudwatch:eu-west-1:")),
            "dublin's alarms on the alarm widget",
        );
        assert.ok(
            alarms.some((arn) => arn.startsWith("arn:aws:cloudwatch:ap-southeast-2:")),
            "sydney's alarms on the alarm widget",
        );
        assert.equal(
            providerUrnOf(single(run.resources, "aws:cloudwatch/dashboard:Dashboard").provider),
            providerUrnOf(named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "home-idle").provider),
            "the dashboard lives in the stack's region",
        );
        // The hours-running widgets (components/hours-widgets.ts): one per box in its region, a fleet total per region.
        for (const [entry, region] of Object.entries(regions)) {
            const hours = widgets.find((w) => w.properties.title === `Hours ${entry} ran per day`);
            assert.equal(hours?.properties.region, region, `${entry}'s hours widget`);
            assert.deepEqual((hours?.properties.metrics as MetricLine[])[1], [{ expression: "s0*10/3600", label: "hours running", id: "h0" }]);
        }
        assert.deepEqual(
            widgets.filter((w) => String(w.properties.title).startsWith("Hours running per day, fleet total")).map((w) => w.properties.region),
            ["us-east-1", "eu-west-1", "ap-southeast-2"],
        );
    });

    it("gives each other region its own notification topic, since an alarm notifies only a topic in its region", async () => {
        const run = await runProgram(regionsConfig([home, dublin, dublin2], { notifyEmail: "team@example.com" }));
        const topics = ofType(run.resources, "aws:sns/topic:Topic");
        assert.deepEqual(topics.map((t) => t.name).sort(), ["idle-stop-notify", "idle-stop-notify-eu-west-1"]);
        const euTopic = named(run.resources, "aws:sns/topic:Topic", "idle-stop-notify-eu-west-1");
        assert.equal(providerUrnOf(euTopic.provider), named(run.resources, "pulumi:providers:aws", "idle-stop-eu-west-1").urn);
        assert.equal(
            named(run.resources, "aws:sns/topicSubscription:TopicSubscription", "idle-stop-notify-eu-west-1-email-0").inputs.endpoint,
            "team@example.com",
        );
        const idle = (entry: string) =>
            named(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${entry}-idle`).inputs.alarmActions as string[];
        assert.match(idle("home")[1], /^arn:aws:sns:us-east-1:/);
        assert.match(idle("dublin")[1], /^arn:aws:sns:eu-west-1:/);
        assert.match(idle("dublin2")[1], /^arn:aws:sns:eu-west-1:/);
        assert.equal(run.outputs.notificationTopicArn, String(idle("home")[1]));
    });

    it("refuses a region that is not one, naming the entry's field", async () => {
        for (const bad of ["Europe", "eu-west", "eu-west-1; rm -rf /", 7]) {
            const error = await programError(regionsConfig([home, { ...dublin, region: bad }]));
            assert.match(error.message, /idle-stop:instances\[1\] "dublin"\.region/, `names the field for ${String(bad)}`);
            assert.ok(error.message.includes(`${JSON.stringify(String(bad))} is not allowed`), `shows the value: ${error.message}`);
            assert.match(error.message, /an AWS region such as eu-west-1/);
            assert.equal(recorded.length, 0, "nothing is declared before the config is checked");
        }
    });

    it("passes a provider given to the IdleStop component to every child (TypeScript callers)", async () => {
        recorded.length = 0;
        registerAdoptedInstance(dublin.instanceId);
        const provider = new aws.Provider("eu", { region: "eu-west-1" });
        const watcher = new IdleStop(
            "direct",
            { instanceId: dublin.instanceId, ssh: { privateKey: testPrivateKey, user: "ec2-user" } },
            { providers: { aws: provider } },
        );
        assert.equal(await resolve(watcher.region), "eu-west-1");
        await settle();
        const providerUrn = await resolve(provider.urn);
        const children = recorded.filter((r) => r.custom && r.type.startsWith("aws:"));
        assert.ok(children.length >= 4, "alarms and identity recorded");
        for (const child of children) assert.equal(providerUrnOf(child.provider), providerUrn, `${child.type} ${child.name}`);
    });
});
