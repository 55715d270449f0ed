// Errors of the laptop command that point the right way, run as users run it (the built
// laptop/dist): an unknown profile, a bad region, no Pulumi CLI, a port nothing answers on.
// Each prints one message, exits non-zero, and shows no stack trace. Name lookups fail through
// a preload (no DNS in tests) and fetch is refused (the npm `pulumi` launcher must not download).
import { strict as assert } from "assert";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { CommandResult } from "../support/sshd";

const noNetwork = `
const dns = require("node:dns");
dns.lookup = (host, options, callback) => {
    const cb = typeof options === "function" ? options : callback;
    const err = Object.assign(new Error("getaddrinfo ENOTFOUND " + host), { code: "ENOTFOUND", errno: -3008, syscall: "getaddrinfo", hostname: host });
    process.nextTick(() => cb(err));
};
globalThis.fetch = () => Promise.reject(new Error("no network in tests"));
`;

function assertOneLineFailure(r: CommandResult, code: number, message: RegExp): void {
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error: /, "no stack trace");
}

describe("idle-stop errors that point the right way", function () {
    this.timeout(90000);
    let ec2: Ec2Endpoint;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
    });
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "idle-stop-errors-"));
        writeFileSync(path.join(dir, "no-network.js"), noNetwork);
        mkdirSync(path.join(dir, ".aws"));
        writeFileSync(path.join(dir, ".aws", "config"), "[profile work]\nregion = eu-west-1\n");
        writeFileSync(path.join(dir, ".aws", "credentials"), "[work]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n");
        env = clientEnv("http://127.0.0.1:9", {
            HOME: dir,
            AWS_CONFIG_FILE: path.join(dir, ".aws", "config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(dir, ".aws", "credentials"),
            NODE_OPTIONS: `--require ${path.join(dir, "no-network.js")}`,
        });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    after(async () => {
        await ec2?.close();
    });

    it("an unknown --profile or AWS_PROFILE says the profile is not found, not that there are no credentials", async () => {
        const args = ["proxy", "--instance-id", "i-0aaaaaaaaaaaaaaa1", "--region", "eu-west-1"];
        const flag = await runLaptop([...args, "--profile", "nope"], { env });
        assertOneLineFailure(flag, 1, /^idle-stop: AWS profile "nope" not found in ~\/\.aws\/config or ~\/\.aws\/credentials/);
        const fromEnv: NodeJS.ProcessEnv = { ...env, AWS_PROFILE: "nope" };
        delete fromEnv.AWS_ACCESS_KEY_ID;
        delete fromEnv.AWS_SECRET_ACCESS_KEY;
        const viaEnv = await runLaptop(args, { env: fromEnv });
        assertOneLineFailure(viaEnv, 1, /^idle-stop: AWS profile "nope" not found/);
        assert.doesNotMatch(viaEnv.stderr, /no AWS credentials/);
    });

    it("a region AWS does not have says so; a known one that cannot be reached blames the network", async () => {
        const args = ["proxy", "--instance-id", "i-0aaaaaaaaaaaaaaa1", "--timeout", "5"];
        const typo = await runLaptop([...args, "--region", "eu-wset-1"], { env });
        assertOneLineFailure(typo, 1, /^idle-stop: unknown AWS region "eu-wset-1" \(there is no ec2\.eu-wset-1\.amazonaws\.com\): check --region/);
        assert.doesNotMatch(typo.stderr, /network/);
        const fromEnv = await runLaptop(args, { env: { ...env, AWS_REGION: "eu-wset-1" } });
        assertOneLineFailure(fromEnv, 1, /^idle-stop: unknown AWS region "eu-wset-1"/);
        const malformed = await runLaptop([...args, "--region", "eu west"], { env });
        assertOneLineFailure(malformed, 2, /^idle-stop: proxy: --region "eu west": expected an AWS region/);
        const offline = await runLaptop([...args, "--region", "eu-west-1"], { env });
        assertOneLineFailure(offline, 1, /^idle-stop: cannot reach AWS for ec2:DescribeInstances \(ENOTFOUND\): check the network/);
    });

    it("no Pulumi CLI says Pulumi is not installed, not that the passphrase may be unset", async () => {
        // PATH holds node only; PULUMI_HOME has no CLI the npm launcher could use, and it cannot fetch one.
        const bin = path.join(dir, "bin");
        mkdirSync(bin);
        symlinkSync(process.execPath, path.join(bin, "node"));
        const noPulumi = { ...env, PATH: bin, PULUMI_HOME: path.join(dir, "pulumi-home") };
        const r = await runLaptop(["ssh-config", "--stack", "dev"], { env: noPulumi });
        assertOneLineFailure(r, 1, /^(pulumi: .*\n)?idle-stop: the Pulumi CLI is not installed: there is no `pulumi` on PATH/m);
        assert.doesNotMatch(r.stderr, /PASSPHRASE|passphrase/);
    });

    it("a port that does not answer for 30 s gets a hint on security group, sshIngressCidrs and VPN", async function () {
        this.timeout(120000);
        const id = "i-0eeeeeeeeeeeeeee5";
        ec2.addInstance({ id, state: "running" });
        const closed = await new Promise<number>((resolve) => {
            const srv = net.createServer().listen(0, "127.0.0.1", () => {
                const port = (srv.address() as net.AddressInfo).port;
                srv.close(() => resolve(port));
            });
        });
        const withEc2 = { ...env, AWS_ENDPOINT_URL_EC2: ec2.url, NODE_OPTIONS: "" };
        const r = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1", "--port", String(closed), "--timeout", "33"], {
            env: withEc2,
            timeoutMs: 90000,
        });
        assertOneLineFailure(r, 1, /idle-stop: timed out: .* does not accept connections/);
        assert.match(
            r.stderr,
            new RegExp(`no answer from 127\\.0\\.0\\.1:${closed} for 30 s; .*security group \\(the stack's sshIngressCidrs .*VPN`),
        );
    });
});
