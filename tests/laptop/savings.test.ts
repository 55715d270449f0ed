// `idle-stop savings` (and status's saving line) against local CloudWatch, EC2 and Price List
// endpoints (the real AWS SDK on their wire protocols), with a seeded 30-day history of two boxes in
// two regions found from AWS alone (no pulumi on PATH). Expectations come from the seed's numbers.
import { strict as assert } from "assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import type { SavingsReport } from "../../laptop/src/aws/savings-report";
import { formatSavings } from "../../laptop/src/commands/savings";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { listenOnLoopback } from "../support/loopback";
import { PricingEndpoint, startPricingEndpoint } from "../support/pricing-endpoint";
import { addDeployedBox, pathWithoutPulumi } from "./support-alarms";

const hour = 3_600_000;
const day = 24 * hour;
const alice = { box: "alice", region: "eu-west-1", instanceId: "i-0aaaaaaaaaaaaaaa1", type: "t3.large", usd: 0.0832 };
const bob = { box: "bob", region: "us-east-2", instanceId: "i-0bbbbbbbbbbbbbbb2", type: "m5.xlarge", usd: 0.192 };
/** The agent's samples in an hour it ran throughout: one every 10 s. */
const fullHour = 360;

// The seed, in hours from the window's start (`to` - 30 days, `to` = the start of the current hour).
// alice runs every day from hour 8 to 17, the last hour half (180 samples): 8.5 h a day; each
// evening's stop is idle-stop's on even days (an action at 16:40) and someone else's on odd days;
// on day 3 idle-stop also stopped her at 10:30 and she was back within the hour (no gap).
const aliceDaily = { firstHour: 8, fullHours: 8, halfHours: 1 };
const aliceRunning = 30 * (aliceDaily.fullHours + 0.5);
const aliceIdleStops = 15 + 1;
const aliceOtherStops = 15;
// bob is first seen 245 h into the window, runs 100 h, is stopped by idle-stop for 20 h, then runs to the end.
const bobFirst = 245;
const bobGap = { from: 345, to: 365 };
const bobRunning = bobGap.from - bobFirst + (720 - bobGap.to);
// carol, alone in a third region (the runs above never ask it), has an agent that samples every
// 60 s (her alarm's idle-stop:sample-seconds tag says so): 60 samples are a full hour. She runs
// hours 700 to 709 and half of 710 (30 samples), then is stopped by someone.
const carol = { box: "carol", region: "ap-southeast-2", instanceId: "i-0ccccccccccccccc3", type: "t3.small", sampleSeconds: 60 };
const carolSeed: Array<[number, number]> = [...Array.from({ length: 10 }, (_, i): [number, number] => [700 + i, 60]), [710, 30]];

const jsonKeys = ["days", "from", "to", "stopsFrom", "sampleSeconds", "boxes", "total", "priceSource", "notes"];
const boxKeys = [
    "name",
    "stack",
    "instanceId",
    "region",
    "instanceType",
    "countedFrom",
    "hoursRunning",
    "hoursStopped",
    "stopsByIdleStop",
    "otherStops",
    "usdPerHour",
    "savedUsd",
];

const cents = (usd: number) => Math.round(usd * 100) / 100;

interface Report {
    from: string;
    to: string;
    boxes: Array<Record<string, unknown>>;
    total: Record<string, unknown>;
    notes: string[];
    priceSource: string[];
}

describe("idle-stop savings", function () {
    this.timeout(60000);
    let cw: CloudWatchEndpoint;
    let ec2: Ec2Endpoint;
    let pricing: PricingEndpoint;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let start: number;
    const regions = ["--region", alice.region, "--region", bob.region];

    before(async () => {
        buildLaptopCommand();
        [cw, ec2, pricing] = await Promise.all([startCloudWatchEndpoint(), startEc2Endpoint(), startPricingEndpoint()]);
        dir = mkdtempSync(path.join(tmpdir(), "idle-stop-savings-"));
        // The window ends at the start of the current hour: seed only when it will not move before the runs.
        while (Date.now() % hour > hour - 20_000) await new Promise((r) => setTimeout(r, 1000));
        start = Math.floor(Date.now() / hour) * hour - 30 * day;
        const alarms: Record<string, string> = {};
        for (const b of [alice, bob]) {
            alarms[b.box] = addDeployedBox(cw, { region: b.region, box: b.box, stack: "team/dev", instanceId: b.instanceId });
            ec2.addInstance({ id: b.instanceId, state: "stopped", name: b.box, instanceType: b.type });
        }
        const seed = (b: { instanceId: string }, h: number, samples: number) =>
            cw.seedDatapoint({
                namespace: "IdleStop",
                metricName: "ActiveSessions",
                instanceId: b.instanceId,
                timestamp: start + h * hour,
                value: 0,
                sampleCount: samples,
            });
        const action = (b: typeof alice, h: number, arn: string, ok = true) =>
            cw.history.addAction(b.region, alarms[b.box], start + h * hour, arn, ok);
        const stopArn = (b: typeof alice) => `arn:aws:automate:${b.region}:ec2:stop`;
        for (let d = 0; d < 30; d++) {
            const first = d * 24 + aliceDaily.firstHour;
            for (let h = 0; h < aliceDaily.fullHours; h++) seed(alice, first + h, fullHour);
            seed(alice, first + aliceDaily.fullHours, fullHour / 2);
            if (d % 2 === 0) action(alice, first + aliceDaily.fullHours + 40 / 60, stopArn(alice));
            // The same alarm's e-mail (SNS) and a failed stop are no stops.
            action(alice, first + aliceDaily.fullHours + 41 / 60, `arn:aws:sns:${alice.region}:123456789012:idle-stop`);
            if (d % 2 === 1) action(alice, first + aliceDaily.fullHours + 40 / 60, stopArn(alice), false);
        }
        action(alice, 3 * 24 + 10.5, stopArn(alice));
        for (let h = bobFirst; h < 720; h++) if (h < bobGap.from || h >= bobGap.to) seed(bob, h, fullHour);
        addDeployedBox(cw, {
            region: carol.region,
            box: carol.box,
            stack: "team/dev",
            instanceId: carol.instanceId,
            sampleSeconds: carol.sampleSeconds,
        });
        ec2.addInstance({ id: carol.instanceId, state: "stopped", name: carol.box, instanceType: carol.type });
        for (const [h, samples] of carolSeed) seed(carol, h, samples);
        // bob's alarm hibernates through the alarm-action function (a Lambda action).
        action(bob, bobGap.from - 0.5, `arn:aws:lambda:${bob.region}:123456789012:function:idle-stop-hibernate`);
        // Pages of 200 datapoints a query: alice's 270 hours take two pages, bob's 455 three.
        cw.metricDataPageSize = 200;
        pricing.addProduct({ instanceType: alice.type, regionCode: alice.region, usd: "0.0832000000" });
        pricing.addProduct({ instanceType: alice.type, regionCode: alice.region, usd: "0.1108000000", attributes: { operatingSystem: "Windows" } });
        pricing.addProduct({ instanceType: alice.type, regionCode: bob.region, usd: "0.0800000000" });
        pricing.addProduct({ instanceType: bob.type, regionCode: bob.region, usd: "0.1920000000" });
        env = {
            ...clientEnv(cw.url, { AWS_ENDPOINT_URL_EC2: ec2.url, AWS_ENDPOINT_URL_PRICING: pricing.url, XDG_CACHE_HOME: path.join(dir, "cache") }),
            PATH: pathWithoutPulumi(),
        };
    });
    after(async () => {
        await Promise.all([cw?.close(), ec2?.close(), pricing?.close()]);
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("counts hours, stops and dollars per box and in total, one GetMetricData per region (paginated), prices cached", async () => {
        const r = await runLaptop(["savings", "--json", ...regions], { env });
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        assert.deepEqual(Object.keys(report), jsonKeys);
        assert.equal(report.to, new Date(start + 30 * day).toISOString());
        assert.equal(report.from, new Date(start).toISOString());
        const [a, b] = report.boxes;
        for (const box of report.boxes) assert.deepEqual(Object.keys(box), boxKeys);
        assert.deepEqual(a, {
            name: "alice",
            stack: "team/dev",
            instanceId: alice.instanceId,
            region: alice.region,
            instanceType: alice.type,
            countedFrom: new Date(start + aliceDaily.firstHour * hour).toISOString(),
            hoursRunning: aliceRunning,
            hoursStopped: 720 - aliceDaily.firstHour - aliceRunning,
            stopsByIdleStop: aliceIdleStops,
            otherStops: aliceOtherStops,
            usdPerHour: alice.usd,
            savedUsd: cents((720 - aliceDaily.firstHour - aliceRunning) * alice.usd),
        });
        assert.deepEqual(b, {
            name: "bob",
            stack: "team/dev",
            instanceId: bob.instanceId,
            region: bob.region,
            instanceType: bob.type,
            countedFrom: new Date(start + bobFirst * hour).toISOString(),
            hoursRunning: bobRunning,
            hoursStopped: bobGap.to - bobGap.from,
            stopsByIdleStop: 1,
            otherStops: 0,
            usdPerHour: bob.usd,
            savedUsd: cents((bobGap.to - bobGap.from) * bob.usd),
        });
        assert.deepEqual(report.total, {
            hoursRunning: aliceRunning + bobRunning,
            hoursStopped: 720 - aliceDaily.firstHour - aliceRunning + (bobGap.to - bobGap.from),
            stopsByIdleStop: aliceIdleStops + 1,
            otherStops: aliceOtherStops,
            savedUsd: cents(cents((720 - aliceDaily.firstHour - aliceRunning) * alice.usd) + cents((bobGap.to - bobGap.from) * bob.usd)),
        });
        assert.deepEqual(report.priceSource, ["Price List API"]);
        const calls = cw.accepted("GetMetricData");
        const inRegion = (region: string) => calls.filter((c) => c.signature.region === region);
        assert.deepEqual([inRegion(alice.region).length, inRegion(bob.region).length], [2, 3], "one paginated call per region");
        for (const c of calls) assert.equal((c.params.MetricDataQueries as unknown[]).length, 1);
        assert.equal(cw.accepted("DescribeAlarmHistory").length, 2);
        assert.equal(pricing.calls.length, 2);
        assert.ok(pricing.calls.every((c) => c.signatureValid && c.target === "AWSPriceListService.GetProducts"));
        const cache = path.join(dir, "cache", "idle-stop", "prices.json");
        assert.equal(statSync(cache).mode & 0o777, 0o600);

        // Again, as a table: the prices come from the cache, the Price List is not asked again.
        const text = await runLaptop(["savings", ...regions], { env });
        assert.equal(text.code, 0, text.stderr);
        assert.equal(pricing.calls.length, 2, "the second run uses the cache");
        assert.match(text.stdout, /^alice +eu-west-1 +t3\.large +255\.0 +457\.0 +16 +15 +0\.0832 +\$38\.02$/m);
        assert.match(text.stdout, /^bob +us-east-2 +m5\.xlarge +455\.0 +20\.0 +1 +0 +0\.192 +\$3\.84$/m);
        assert.match(text.stdout, /^total +710\.0 +477\.0 +17 +15 +\$41\.86$/m);
        assert.match(text.stdout, /^prices: on-demand Linux, cache;/m);
    });

    it("gives hours only and says why when the Price List cannot be reached; --price sets one", async () => {
        // A port nothing listens on, and a corrupt cache that must be ignored.
        const closed = createServer();
        const port = await listenOnLoopback(closed);
        await new Promise<void>((r) => closed.close(() => r()));
        const cacheHome = path.join(dir, "cache2");
        const cacheFile = path.join(cacheHome, "idle-stop", "prices.json");
        mkdirSync(path.dirname(cacheFile), { recursive: true });
        writeFileSync(cacheFile, '{"eu-west-1/t3.large": {"usdPerHour": "free"');
        const unreachable = { ...env, AWS_ENDPOINT_URL_PRICING: `http://127.0.0.1:${port}`, XDG_CACHE_HOME: cacheHome };
        const r = await runLaptop(["savings", "--json", "--price", "t3.large=0.1", ...regions], { env: unreachable });
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        const [a, b] = report.boxes;
        assert.equal(a.usdPerHour, 0.1);
        assert.equal(a.savedUsd, cents((720 - aliceDaily.firstHour - aliceRunning) * 0.1));
        assert.equal(b.usdPerHour, null);
        assert.equal(b.savedUsd, null);
        assert.equal(b.hoursStopped, bobGap.to - bobGap.from, "hours still counted");
        assert.ok(
            report.notes.some((n) => n.startsWith("no prices: the AWS Price List API did not answer (cannot reach AWS for pricing:GetProducts")),
            report.notes.join("\n"),
        );
        assert.deepEqual(report.priceSource, ["--price"]);

        // The table of a report without prices (formatted in process: one run fewer) shows no dollars.
        const unpriced = {
            ...report,
            boxes: report.boxes.map((x) => ({ ...x, usdPerHour: null, savedUsd: null })),
            total: { ...report.total, savedUsd: null },
            priceSource: [],
        } as unknown as SavingsReport;
        const text = formatSavings(unpriced);
        assert.match(text, /^total +710\.0 +477\.0 +17 +15 +-$/m, "no invented dollars");
        assert.match(text, /^note: no prices: the AWS Price List API did not answer/m);
        assert.doesNotMatch(text, /^prices:/m);
        assert.equal(readFileSync(cacheFile, "utf8"), '{"eu-west-1/t3.large": {"usdPerHour": "free"', "nothing cached from a failed lookup");
    });

    it("counts a box's samples as its own sampleSeconds (60, from its alarm's tag), in savings and status", async () => {
        const r = await runLaptop(["savings", "--json", "--price", `${carol.type}=0.02`, "--region", carol.region], { env });
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as Report & { sampleSeconds: number | null };
        const running = 10.5; // ten hours of 60 samples and one of 30, each sample 60 s
        assert.deepEqual(report.boxes, [
            {
                name: "carol",
                stack: "team/dev",
                instanceId: carol.instanceId,
                region: carol.region,
                instanceType: carol.type,
                countedFrom: new Date(start + 700 * hour).toISOString(),
                hoursRunning: running,
                hoursStopped: 720 - 700 - running,
                stopsByIdleStop: 0,
                otherStops: 1,
                usdPerHour: 0.02,
                savedUsd: cents((720 - 700 - running) * 0.02),
            },
        ]);
        assert.equal(report.sampleSeconds, 60, "the boxes' one value");

        // status's month's saving counts her hours the same way: from the 1st of this month (UTC) or her first data in it.
        const to = start + 30 * day;
        const now = new Date(to);
        const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
        const inMonth = carolSeed.filter(([h]) => start + h * hour >= monthStart);
        const first = inMonth.length > 0 ? start + inMonth[0][0] * hour : undefined;
        const runningInMonth = inMonth.reduce((sum, [, samples]) => sum + Math.min(1, (samples * carol.sampleSeconds) / 3600), 0);
        const stoppedInMonth = first === undefined ? 0 : Math.round(((to - first) / hour - runningInMonth) * 100) / 100;
        const st = await runLaptop(["status", "--json", "--region", carol.region], { env });
        assert.equal(st.code, 0, st.stderr);
        const [status] = JSON.parse(st.stdout) as Array<{ name: string; savedThisMonth: { hoursStopped: number; since: string } }>;
        assert.equal(status.name, "carol");
        assert.equal(status.savedThisMonth.hoursStopped, stoppedInMonth, JSON.stringify(status.savedThisMonth));
        assert.equal(status.savedThisMonth.since, new Date(first ?? monthStart).toISOString());
    });

    it("status shows this month's saving per box, from the cached prices", async () => {
        const before = cw.accepted("GetMetricData").length;
        const describesBefore = ec2.calls("DescribeInstances").length;
        const r = await runLaptop(["status", ...regions], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ {2}month's saving {2}\$\d+\.\d\d \(\d+\.\d h stopped since \d{4}-\d\d-\d\d at \$0\.0832\/h\)$/m);
        assert.match(
            r.stdout,
            /^ {2}month's saving {2}(\$\d+\.\d\d \(\d+\.\d h stopped since \d{4}-\d\d-\d\d at \$0\.192\/h\)|\$0\.00 \(0\.0 h stopped since \d{4}-\d\d-\d\d at \$0\.192\/h\))$/m,
        );
        // status's own query per region, and one more (paginated) for the saving.
        const firstPages = cw
            .accepted("GetMetricData")
            .slice(before)
            .filter((c) => c.params.NextToken === undefined);
        const shape = (c: (typeof firstPages)[number]) =>
            `${c.signature.region} ${(c.params.MetricDataQueries as Array<{ MetricStat: { Period: number } }>)[0].MetricStat.Period}`;
        assert.deepEqual(
            firstPages.map(shape).sort(),
            [`${bob.region} 3600`, `${bob.region} 60`, `${alice.region} 3600`, `${alice.region} 60`].sort(),
        );
        assert.equal(pricing.calls.length, 2, "status never asks the Price List");
        // The instances are read once per region for the status lines and the saving alike.
        assert.deepEqual(
            ec2
                .calls("DescribeInstances")
                .slice(describesBefore)
                .map((c) => JSON.stringify(c.params.InstanceId))
                .sort(),
            [JSON.stringify([alice.instanceId]), JSON.stringify([bob.instanceId])].sort(),
        );
    });
});
