// The agent's own CloudWatch publisher (agent/src/publish/aws/): where it sends requests in every
// partition, which credentials it signs with (environment, shared credentials file, an instance
// role through IMDSv2, refreshed before they expire), one kept-alive HTTPS connection, and AWS
// errors read as the SDK reads them. Real agent processes against local endpoints that speak the
// real protocols (AWS JSON 1.0 + SigV4 verified; the IMDSv2 token flow).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { buildSync } from "esbuild";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AwsServiceError, errorCode } from "../../agent/src/publish/aws/json-rpc";
import { classifyError } from "../../agent/src/publish/metric-sink";
import { Daemon, REPO, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { FakeProc } from "../support/fakeproc";
import { startImds } from "../support/imds";
import { waitUntil } from "../support/sshd";
import { selfSignedCert } from "../support/tls";

const IID = "i-0123456789abcdef0";

/** The agent's endpoint resolution, bundled as the agent is (see endpoint-probe.ts). */
function endpointProbe(): (region: string, env?: Record<string, string>) => string {
    const dir = tempDir("idle-stop-endpoint-probe-");
    const out = join(dir, "probe.js");
    buildSync({
        entryPoints: [join(REPO, "tests", "support", "endpoint-probe.ts")],
        outfile: out,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        mainFields: ["module", "main"],
        logLevel: "warning",
    });
    return (region, env = {}) => {
        const clean: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) clean[k] = v;
        return execFileSync(process.execPath, [out, region], {
            env: { ...clean, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", ...env },
            encoding: "utf8",
        }).trim();
    };
}

/** What @aws-sdk/client-cloudwatch itself resolves for the same settings. */
async function sdkEndpoint(region: string, fips: boolean, dualstack: boolean): Promise<string> {
    const client = new CloudWatchClient({ region, useFipsEndpoint: fips, useDualstackEndpoint: dualstack });
    try {
        const e = client.config.endpointProvider({ Region: region, UseFIPS: fips, UseDualStack: dualstack });
        return e.url.href;
    } finally {
        client.destroy();
    }
}

describe("the agent's CloudWatch publisher", function () {
    this.timeout(120000);

    it("sends to the standard endpoint of every partition, with FIPS and dual-stack, exactly as the SDK client", async () => {
        const probe = endpointProbe();
        const cases: Array<{ region: string; fips?: boolean; dual?: boolean; expect: string }> = [
            { region: "us-east-1", expect: "https://monitoring.us-east-1.amazonaws.com/" },
            { region: "eu-west-1", expect: "https://monitoring.eu-west-1.amazonaws.com/" },
            { region: "ap-southeast-2", expect: "https://monitoring.ap-southeast-2.amazonaws.com/" },
            { region: "cn-north-1", expect: "https://monitoring.cn-north-1.amazonaws.com.cn/" },
            { region: "cn-northwest-1", expect: "https://monitoring.cn-northwest-1.amazonaws.com.cn/" },
            { region: "us-gov-west-1", expect: "https://monitoring.us-gov-west-1.amazonaws.com/" },
            { region: "us-gov-east-1", fips: true, expect: "https://monitoring.us-gov-east-1.amazonaws.com/" },
            { region: "us-east-1", fips: true, expect: "https://monitoring-fips.us-east-1.amazonaws.com/" },
            { region: "eu-west-1", dual: true, expect: "https://monitoring.eu-west-1.api.aws/" },
        ];
        for (const c of cases) {
            const env: Record<string, string> = {};
            if (c.fips) env.AWS_USE_FIPS_ENDPOINT = "true";
            if (c.dual) env.AWS_USE_DUALSTACK_ENDPOINT = "true";
            const ours = probe(c.region, env);
            assert.equal(ours, await sdkEndpoint(c.region, c.fips ?? false, c.dual ?? false), `${JSON.stringify(c)}: same as the SDK client`);
            assert.equal(ours, c.expect, JSON.stringify(c));
        }
        // An endpoint URL from the environment wins; the service-specific one over the general one.
        assert.equal(probe("eu-west-1", { AWS_ENDPOINT_URL: "https://vpce.example:8443" }), "https://vpce.example:8443/");
        assert.equal(
            probe("eu-west-1", { AWS_ENDPOINT_URL: "https://general.example", AWS_ENDPOINT_URL_CLOUDWATCH: "https://cw.example" }),
            "https://cw.example/",
        );
        // ... and so does the shared config file's endpoint_url.
        const cfgFile = join(tempDir(), "config");
        writeFileSync(cfgFile, "[default]\nendpoint_url = https://from-config.example\n");
        assert.equal(probe("eu-west-1", { AWS_CONFIG_FILE: cfgFile }), "https://from-config.example/");
    });

    it("reads AWS errors as the SDK does and classifies them (rejected / throttled / retryable)", () => {
        assert.equal(
            errorCode(
                { "x-amzn-query-error": "InvalidParameterValue;Sender" },
                { __type: "com.amazonaws.cloudwatch#InvalidParameterValueException" },
            ),
            "InvalidParameterValue",
        );
        assert.equal(errorCode({}, { __type: "com.amazonaws.cloudwatch#InvalidParameterValueException" }), "InvalidParameterValueException");
        assert.equal(errorCode({}, { __type: "ThrottlingException:http://internal.amazon.com/" }), "ThrottlingException");
        assert.equal(errorCode({ "x-amzn-errortype": "InternalServiceError" }, {}), "InternalServiceError");
        const rejected = classifyError(new AwsServiceError("InvalidParameterValueException", "bad", 400));
        assert.deepEqual(
            [rejected.code, rejected.status, rejected.rejected, rejected.throttled],
            ["InvalidParameterValueException", 400, true, false],
        );
        const throttled = classifyError(new AwsServiceError("Throttling", "slow down", 400));
        assert.deepEqual([throttled.rejected, throttled.throttled], [false, true]);
        const unavailable = classifyError(new AwsServiceError("ServiceUnavailable", "later", 503));
        assert.deepEqual([unavailable.rejected, unavailable.throttled, unavailable.status], [false, false, 503]);
    });

    it("drops a datapoint CloudWatch rejects as invalid on the wire, keeps going", async () => {
        const cw = await startCloudWatchEndpoint();
        try {
            const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", procRoot: new FakeProc().withListener().root });
            // `once` sends ActiveSessions and ConnectedSessions in one request; a rejected batch is
            // split, and each datapoint rejected on its own is dropped.
            cw.failWith({ status: 400, type: "InvalidParameterValue", message: "The value for parameter Timestamp is invalid" }, { count: 3 });
            const r = await runAgent(["once", "--config", cfg.path], { env: clientEnv(cw.url) });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /event=batch_rejected datapoints=2 code=InvalidParameterValue/);
            assert.equal(r.stderr.match(/event=dropped_rejected .*code=InvalidParameterValue/g)?.length, 2, r.stderr);
            assert.equal(cw.requests.length, 3);
        } finally {
            await cw.close();
        }
    });

    it("signs with the shared credentials file when the environment has no keys (IAM-user mode)", async () => {
        const cw = await startCloudWatchEndpoint();
        try {
            cw.allowKey("AKIAFILEKEY000000001", "secret-from-the-file");
            const dir = tempDir();
            const file = join(dir, "credentials");
            writeFileSync(file, "[default]\naws_access_key_id = AKIAFILEKEY000000001\naws_secret_access_key = secret-from-the-file\n", {
                mode: 0o600,
            });
            const cfg = writeConfig({ instanceId: IID, region: "eu-west-1", procRoot: new FakeProc().withListener().root }, dir);
            const env = clientEnv(cw.url, { AWS_SHARED_CREDENTIALS_FILE: file });
            delete env.AWS_ACCESS_KEY_ID;
            delete env.AWS_SECRET_ACCESS_KEY;
            const r = await runAgent(["once", "--config", cfg.path], { env });
            assert.equal(r.code, 0, r.stderr);
            const [req] = cw.accepted("PutMetricData");
            assert.ok(req?.signature.valid, JSON.stringify(req?.signature));
            assert.equal(req.signature.accessKeyId, "AKIAFILEKEY000000001");
        } finally {
            await cw.close();
        }
    });

    it("takes an instance role's credentials from IMDSv2 (token first), sends the session token, refreshes them before they expire", async () => {
        const cw = await startCloudWatchEndpoint();
        const imds = await startImds({ role: "idle-stop-agent" });
        const daemons: Daemon[] = [];
        try {
            const first = { accessKeyId: "ASIAROLEKEY000000001", secretAccessKey: "role-secret-1", token: "session-token-1" };
            const second = { accessKeyId: "ASIAROLEKEY000000002", secretAccessKey: "role-secret-2", token: "session-token-2" };
            cw.allowKey(first.accessKeyId, first.secretAccessKey);
            cw.allowKey(second.accessKeyId, second.secretAccessKey);
            // Valid for 5 min + 6 s: usable now, inside the 5-minute refresh window 6 s from now.
            imds.issue({ ...first, expiresInMs: 5 * 60 * 1000 + 6000 });
            const cfg = writeConfig({
                instanceId: IID,
                region: "eu-west-1",
                sampleSeconds: 1,
                publishSeconds: 1,
                procRoot: new FakeProc().withListener().root,
            });
            const env = clientEnv(cw.url, { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_SHARED_CREDENTIALS_FILE: "/dev/null" });
            for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"]) delete env[k];
            const d = new Daemon(cfg.path, env);
            daemons.push(d);
            await waitUntil(() => cw.accepted("PutMetricData").length >= 3, 20000, "three publishes with the first role credentials");
            imds.issue({ ...second, expiresInMs: 6 * 3600 * 1000 });
            const fetchesBefore = imds.credentialFetches();
            assert.ok(
                fetchesBefore <= 2,
                `cached, not fetched per publish: ${fetchesBefore} fetches for ${cw.accepted("PutMetricData").length} publishes`,
            );
            await waitUntil(
                () => cw.accepted("PutMetricData").some((r) => r.signature.accessKeyId === second.accessKeyId),
                20000,
                "a publish with the refreshed credentials",
            );
            await waitUntil(() => cw.accepted("PutMetricData").length >= 12, 20000, "more publishes");
            assert.equal((await d.stop()).code, 0, d.stderr);

            const puts = cw.accepted("PutMetricData");
            for (const r of puts) {
                assert.ok(r.signature.valid, JSON.stringify(r.signature));
                assert.ok(r.signature.signedHeaders?.includes("x-amz-security-token"), "the session token is signed");
                const key = r.signature.accessKeyId === first.accessKeyId ? first : second;
                assert.equal(r.headers["x-amz-security-token"], key.token);
            }
            const firstSecond = puts.findIndex((r) => r.signature.accessKeyId === second.accessKeyId);
            assert.ok(
                puts.slice(firstSecond).every((r) => r.signature.accessKeyId === second.accessKeyId),
                "never back to the old key",
            );
            assert.ok(
                imds.credentialFetches() <= fetchesBefore + 2,
                `the long-lived second credentials are cached: ${imds.credentialFetches()} fetches`,
            );
            // IMDSv2: every metadata GET carried a token that a PUT handed out first; none was refused.
            assert.equal(imds.requests[0].method, "PUT");
            for (const r of imds.requests.filter((x) => x.method === "GET")) {
                assert.ok(r.token, `GET ${r.path} without a token`);
                assert.equal(r.status, 200, `GET ${r.path}`);
            }
        } finally {
            for (const d of daemons) await d.stop("SIGKILL");
            await imds.close();
            await cw.close();
        }
    });

    it("publishes over HTTPS on one kept-alive connection", async () => {
        const dir = tempDir();
        const cert = selfSignedCert(dir);
        const cw = await startCloudWatchEndpoint(undefined, cert);
        cw.keepAliveTimeoutMs = 60000;
        const daemons: Daemon[] = [];
        try {
            const cfg = writeConfig(
                { instanceId: IID, region: "eu-west-1", sampleSeconds: 1, publishSeconds: 1, procRoot: new FakeProc().withListener().root },
                dir,
            );
            const d = new Daemon(cfg.path, clientEnv(cw.url, { NODE_EXTRA_CA_CERTS: cert.certPath }));
            daemons.push(d);
            await waitUntil(() => cw.accepted("PutMetricData").length >= 4, 20000, "four publishes");
            assert.equal((await d.stop()).code, 0, d.stderr);
            assert.ok(cw.url.startsWith("https://"));
            assert.ok(cw.accepted("PutMetricData").every((r) => r.signature.valid));
            assert.equal(cw.connections, 1, `${cw.requests.length} requests over ${cw.connections} TLS connections`);
        } finally {
            for (const d of daemons) await d.stop("SIGKILL");
            await cw.close();
        }
    });
});
