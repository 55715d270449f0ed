// The alarm-action function's handler, in process, against the local EC2 endpoint through the real AWS SDK (docs/reference/alarm-action.md).
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { WATCHED_INSTANCES_ENV } from "../../common/alarm-action";
import { scheduledActionEvent } from "../../common/scheduled-action";
import { ActionResult, handler } from "../../lambda/src/alarm-action";
import { AlarmEvent } from "../../lambda/src/events";
import { TEST_CREDENTIALS } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";

const repo = path.resolve(__dirname, "..", "..");
const configured = "i-0aaaaaaaaaaaaaaa1";
const unconfigured = "i-0aaaaaaaaaaaaaaa2";
const stopped = "i-0aaaaaaaaaaaaaaa3";
const stoppedPlain = "i-0aaaaaaaaaaaaaaa4";
const scheduled = "i-0aaaaaaaaaaaaaaa5";
const booting = "i-0aaaaaaaaaaaaaaa6";
const stranger = "i-0bbbbbbbbbbbbbbb9";

/**
 * A CloudWatch alarm's Lambda-action event, in the shape of the CloudWatch user guide's example
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Lambda-action-payload),
 * for our idle alarm on one instance.
 */
function alarmEvent(instanceId: string, state = "ALARM"): AlarmEvent {
    return {
        source: "aws.cloudwatch",
        alarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:devbox-idle-1a2b3c4",
        accountId: "123456789012",
        time: "2026-12-03T18:12:00.000+0000",
        region: "eu-west-1",
        alarmData: {
            alarmName: "devbox-idle-1a2b3c4",
            state: {
                value: state,
                reason: "Threshold Crossed: 15 out of the last 15 datapoints were less than or equal to the threshold (0.0)",
                timestamp: "2026-12-03T18:12:00.000+0000",
            },
            previousState: { value: "OK", reason: "Threshold Crossed", timestamp: "2026-12-03T17:40:00.000+0000" },
            configuration: {
                description: "idle-stop: hibernate after 15 minutes",
                metrics: [
                    {
                        id: "4f2e-example",
                        metricStat: {
                            metric: { namespace: "IdleStop", name: "ActiveSessions", dimensions: { InstanceId: instanceId } },
                            period: 60,
                            stat: "Maximum",
                        },
                        returnData: true,
                    },
                ],
            },
        },
    };
}

describe("alarm-action function", () => {
    let ec2: Ec2Endpoint;
    const saved: Record<string, string | undefined> = {};
    const env: Record<string, string> = {
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_REGION: TEST_CREDENTIALS.region,
        [WATCHED_INSTANCES_ENV]: JSON.stringify([configured, unconfigured, stopped, stoppedPlain, scheduled, booting]),
    };

    before(async () => {
        ec2 = await startEc2Endpoint();
        env.AWS_ENDPOINT_URL_EC2 = ec2.url;
        for (const [k, v] of Object.entries(env)) {
            saved[k] = process.env[k];
            process.env[k] = v;
        }
        for (const k of ["AWS_PROFILE", "AWS_SESSION_TOKEN"]) {
            saved[k] = process.env[k];
            delete process.env[k];
        }
        ec2.addInstance({ id: configured, state: "running", hibernation: true });
        ec2.addInstance({ id: unconfigured, state: "running" });
        ec2.addInstance({ id: stopped, state: "stopped", hibernation: true });
        ec2.addInstance({ id: stoppedPlain, state: "stopped" });
        ec2.addInstance({ id: scheduled, state: "running", hibernation: true });
        ec2.addInstance({ id: stranger, state: "running", hibernation: true });
        ec2.pendingMs = 60_000;
        ec2.addInstance({ id: booting, state: "pending", hibernation: true });
        ec2.pendingMs = 1500;
    });
    after(async () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        await ec2.close();
    });

    const stopCalls = (id: string) =>
        ec2.log.filter((c) => c.action === "StopInstances" && JSON.stringify(c.params.InstanceId) === JSON.stringify([id]));

    it("hibernates an instance launched with hibernation, with one StopInstances Hibernate=true", async () => {
        const result = await handler(alarmEvent(configured));
        assert.equal(result.did, "hibernating");
        assert.deepEqual(
            stopCalls(configured).map((c) => [c.params.Hibernate, c.status, c.signatureValid]),
            [["true", 200, true]],
        );
        assert.equal(ec2.instance(configured)?.state, "stopping");
        assert.equal(ec2.instance(configured)?.hibernated, true);
        assert.match(result.line, new RegExp(`hibernating ${configured}; because alarm devbox-idle-1a2b3c4 went to ALARM`));
    });

    it("stops plainly an instance EC2 refuses to hibernate, and says why", async () => {
        const result = await handler(alarmEvent(unconfigured));
        assert.equal(result.did, "stopping");
        assert.deepEqual(
            stopCalls(unconfigured).map((c) => [c.params.Hibernate, c.status, c.errorCode]),
            [
                ["true", 400, "UnsupportedHibernationConfiguration"],
                [undefined, 200, undefined],
            ],
        );
        assert.equal(ec2.instance(unconfigured)?.state, "stopping");
        assert.equal(ec2.instance(unconfigured)?.hibernated, false);
        assert.match(result.line, /stopped i-0aaaaaaaaaaaaaaa2 plainly, hibernation refused \(UnsupportedHibernationConfiguration: /);
    });

    it("leaves a stopped instance stopped, configured for hibernation or not", async () => {
        const configuredResult = await handler(alarmEvent(stopped));
        assert.equal(configuredResult.did, "already stopped");
        assert.equal(ec2.instance(stopped)?.state, "stopped");
        const plainResult = await handler(alarmEvent(stoppedPlain));
        // EC2 accepts the plain stop of a stopped instance; its answer's previous state says so.
        assert.equal(plainResult.did, "already stopped");
        assert.equal(ec2.instance(stoppedPlain)?.state, "stopped");
        assert.equal(ec2.calls("StartInstances").length, 0);
    });

    it("stops plainly a box EC2 will not hibernate in its state (IncorrectInstanceState for a pending box): it never stays up", async () => {
        const result = await handler(alarmEvent(booting));
        assert.equal(result.did, "stopping");
        assert.deepEqual(
            stopCalls(booting).map((c) => [c.params.Hibernate, c.errorCode]),
            [
                ["true", "IncorrectInstanceState"],
                [undefined, undefined],
            ],
        );
        assert.equal(ec2.instance(booting)?.state, "stopping");
    });

    it("refuses, without any EC2 call, an instance it does not watch, an OK-state event and a stranger's event", async () => {
        const before = ec2.log.length;
        const refused: ActionResult[] = [
            await handler(alarmEvent(stranger)),
            await handler(alarmEvent(configured, "OK")),
            await handler(alarmEvent(configured, "INSUFFICIENT_DATA")),
            await handler({ source: "aws.events", "detail-type": "Scheduled Event", instanceId: configured }),
            await handler({ ...scheduledActionEvent(stranger) }),
            await handler({ ...scheduledActionEvent(configured), action: "terminate" }),
            await handler("i-0aaaaaaaaaaaaaaa1"),
        ];
        assert.deepEqual(
            refused.map((r) => r.did),
            refused.map(() => "refused"),
        );
        assert.match(refused[0].line, /i-0bbbbbbbbbbbbbbb9 is not an instance this function watches/);
        assert.match(refused[1].line, /in state OK, not ALARM/);
        assert.equal(ec2.log.length, before, "no EC2 call");
        assert.equal(ec2.instance(stranger)?.state, "running");
    });

    it("is built by npm run build into one file that hibernates on a schedule's event", async () => {
        const script = (JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.build;
        assert.match(script, /node lambda\/build\.mjs/);
        const out = mkdtempSync(path.join(tmpdir(), "alarm-action-"));
        try {
            execFileSync(process.execPath, [path.join(repo, "lambda", "build.mjs"), "--outdir", out], { stdio: "pipe" });
            const bundle = path.join(out, "alarm-action.js");
            assert.ok(statSync(bundle).size > 0);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const built = require(bundle) as { handler: typeof handler };
            const result = await built.handler(scheduledActionEvent(scheduled));
            assert.equal(result.did, "hibernating");
            assert.match(result.line, /because its stopAt schedule/);
            assert.equal(ec2.instance(scheduled)?.hibernated, true);
        } finally {
            rmSync(out, { recursive: true, force: true });
        }
    });
});
