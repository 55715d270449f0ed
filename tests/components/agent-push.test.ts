import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { programAgentDefaults } from "../../common/agent-config";
import { shellQuote } from "../../common/shell-quote";
import { installCommand, stagingDir, uninstallCommand } from "../../components/agent-commands";
import { parseConfig } from "../../agent/src/config";
import { COMMAND_DIAL, COMMAND_DIAL_BOUND_SECONDS, dialBoundSeconds, payloadHash } from "../../components/agent-push";
import { defaultPayloadDir, resolveIdleStopArgs } from "../../components/idle-stop";
import { isWireSecret, mockAws, ProgramRun, runProgram } from "../support/pulumi-mocks";
import { single } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, testPrivateKey } from "../support/stack-configs";

/** The agent.json a run's (single) install command carries. */
function agentJson(run: ProgramRun): Record<string, unknown> {
    const create = String(single(run.resources, "command:remote:Command").inputs.create);
    return JSON.parse(Buffer.from(/--config-b64 (\S+)/.exec(create)![1], "base64").toString("utf8")) as Record<string, unknown>;
}

describe("agent push over SSH", () => {
    beforeEach(() => {
        mockAws.region = "eu-west-1";
    });

    it("connects with the configured host, user and port, and the private key as a secret", async () => {
        const run = await runProgram(adoptedConfig({ sshHost: "box.example.internal", sshUser: "ec2-user", sshPort: "2022" }));
        for (const type of ["command:remote:CopyToRemote", "command:remote:Command"]) {
            const resource = single(run.resources, type);
            const connection = resource.inputs.connection as Record<string, unknown>;
            assert.equal(connection.host, "box.example.internal");
            assert.equal(connection.user, "ec2-user");
            assert.equal(connection.port, 2022);
            assert.equal(connection.privateKey, testPrivateKey);
            const wire = resource.wireInputs.connection;
            const wireKey = isWireSecret(wire) ? (wire.value as Record<string, unknown>).privateKey : (wire as Record<string, unknown>).privateKey;
            assert.ok(isWireSecret(wire) || isWireSecret(wireKey), `${type}: the private key must travel as a secret`);
        }
    });

    it("bounds how long the uninstall dials an unreachable (stopped) box at destroy; only the copy waits for a booting instance", async () => {
        for (const config of [adoptedConfig(), { sshPrivateKey: testPrivateKey, keyName: "k" }]) {
            const run = await runProgram(config);
            const command = single(run.resources, "command:remote:Command").inputs.connection as Record<string, unknown>;
            assert.equal(command.dialErrorLimit, COMMAND_DIAL.dialErrorLimit);
            assert.equal(command.perDialTimeout, COMMAND_DIAL.perDialTimeout);
            assert.ok(Number(command.dialErrorLimit) >= 0, "-1 would dial forever");
            assert.ok(Number(command.perDialTimeout) > 0, "0 would let one dial hang forever");
            const bound = dialBoundSeconds({ dialErrorLimit: Number(command.dialErrorLimit), perDialTimeout: Number(command.perDialTimeout) });
            assert.ok(bound <= 120, `the uninstall gives up within 2 minutes (${bound} s)`);
            assert.equal(bound, COMMAND_DIAL_BOUND_SECONDS);
            const copy = single(run.resources, "command:remote:CopyToRemote").inputs.connection as Record<string, unknown>;
            assert.ok(
                dialBoundSeconds({ dialErrorLimit: Number(copy.dialErrorLimit), perDialTimeout: Number(copy.perDialTimeout) }) >= 300,
                "the copy waits minutes for a new instance's sshd",
            );
        }
        // README states the bound users can rely on.
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        assert.match(readme, new RegExp(`gives up after ${COMMAND_DIAL_BOUND_SECONDS} seconds`));
    });

    it("requires https for nodeDistUrl (plain http only on the box's loopback)", () => {
        const base = { instanceId: adoptedInstanceId, ssh: { privateKey: testPrivateKey } };
        assert.throws(
            () => resolveIdleStopArgs({ ...base, nodeDistUrl: "http://mirror.example.com/dist" }),
            /nodeDistUrl: "http:\/\/mirror\.example\.com\/dist" is not allowed; expected an https URL/,
        );
        assert.equal(
            resolveIdleStopArgs({ ...base, nodeDistUrl: "https://mirror.example.com/dist/" }).nodeDistUrl,
            "https://mirror.example.com/dist",
        );
        assert.equal(resolveIdleStopArgs({ ...base, nodeDistUrl: "http://127.0.0.1:8080/dist" }).nodeDistUrl, "http://127.0.0.1:8080/dist");
    });

    it("defaults the SSH host to the adopted instance's public DNS name", async () => {
        const run = await runProgram(adoptedConfig());
        const connection = single(run.resources, "command:remote:Command").inputs.connection as Record<string, unknown>;
        assert.equal(connection.host, "ec2-203-0-113-10.compute-1.amazonaws.com");
        assert.equal(connection.port, 22);
    });

    it("never shows the private key in plain text in any resource's inputs", async () => {
        for (const config of [adoptedConfig(), { sshPrivateKey: testPrivateKey, keyName: "k" }]) {
            const run = await runProgram(config);
            for (const resource of run.resources) {
                const visible = JSON.stringify(resource.wireInputs, (_key, value) => (isWireSecret(value) ? "[secret]" : value));
                assert.ok(!visible.includes("test-key-material"), `${resource.type} ${resource.name} exposes the private key`);
            }
        }
    });

    it("copies the built payload and installs it with the agent config; delete uninstalls that release", async () => {
        const run = await runProgram(
            adoptedConfig({ idleMinutes: "30", sampleSeconds: "5", sessionIdleMinutes: "45", busyCpuPercent: "80", sshPort: "2222" }),
        );
        const copy = single(run.resources, "command:remote:CopyToRemote").inputs;
        const install = single(run.resources, "command:remote:Command").inputs;
        const release = String((install.triggers as unknown[])[0]);
        assert.match(release, /^[0-9a-f]{16}$/);
        assert.equal(copy.remotePath, stagingDir(release));
        assert.equal((copy.source as { path: string }).path, defaultPayloadDir);
        assert.deepEqual(copy.triggers, [release]);

        const configArg = /--config-b64 (\S+)/.exec(String(install.create));
        assert.ok(configArg, "the install command carries the agent config");
        const agentConfig = JSON.parse(Buffer.from(configArg[1], "base64").toString("utf8"));
        assert.deepEqual(agentConfig, {
            instanceId: adoptedInstanceId,
            region: "eu-west-1",
            namespace: "IdleStop",
            metricName: "ActiveSessions",
            sampleSeconds: 5,
            publishSeconds: 60,
            alarmName: run.outputs.alarmName,
            idleMinutes: 30,
            warnMinutes: 5,
            sessionIdleSeconds: 45 * 60,
            busyCpuPercent: 80,
            busyProcessPercent: programAgentDefaults.busyProcessPercent,
            busyGpuPercent: programAgentDefaults.busyGpuPercent,
            transferBytesPerMinute: programAgentDefaults.transferBytesPerMinute,
            sshPorts: [22, 2222],
        });
        assert.ok(String(install.create).includes(`sudo -n sh ${stagingDir(release)}/dist/install.sh --release ${release}`));
        assert.equal(install.delete, uninstallCommand(release));
        assert.match(String(install.create), /--client-alive-interval 60 --client-alive-count-max 3/);
    });

    it("writes the busy-work thresholds into agent.json: the defaults, a stack's values, 0 to turn each off", async () => {
        const defaults = agentJson(await runProgram(adoptedConfig()));
        assert.equal(defaults.busyProcessPercent, 25);
        assert.equal(defaults.busyGpuPercent, 10);
        assert.equal(defaults.transferBytesPerMinute, 1048576);
        assert.deepEqual(
            [defaults.busyProcessPercent, defaults.busyGpuPercent, defaults.transferBytesPerMinute],
            [programAgentDefaults.busyProcessPercent, programAgentDefaults.busyGpuPercent, programAgentDefaults.transferBytesPerMinute],
            "the program's defaults are common/agent-config.ts's",
        );
        const set = agentJson(await runProgram(adoptedConfig({ busyProcessPercent: "50", busyGpuPercent: "30", transferBytesPerMinute: "5000000" })));
        assert.deepEqual([set.busyProcessPercent, set.busyGpuPercent, set.transferBytesPerMinute], [50, 30, 5000000]);
        const off = agentJson(await runProgram(adoptedConfig({ busyProcessPercent: "0", busyGpuPercent: "0", transferBytesPerMinute: "0" })));
        assert.deepEqual([off.busyProcessPercent, off.busyGpuPercent, off.transferBytesPerMinute], [0, 0, 0]);
        const parsed = parseConfig(off, "agent.json");
        assert.deepEqual([parsed.busyProcessPercent, parsed.busyGpuPercent, parsed.transferBytesPerMinute], [0, 0, 0], "the agent reads them back");
    });

    it("refuses bad busy-work thresholds given to the component, naming the argument", () => {
        const base = { instanceId: adoptedInstanceId, ssh: { privateKey: testPrivateKey } };
        assert.throws(
            () => resolveIdleStopArgs({ ...base, busyProcessPercent: 150 }),
            /busyProcessPercent: 150 is not allowed; expected a whole number from 0 to 100$/,
        );
        assert.throws(
            () => resolveIdleStopArgs({ ...base, busyGpuPercent: 2.5 }),
            /busyGpuPercent: 2\.5 is not allowed; expected a whole number from 0 to 100$/,
        );
        assert.throws(
            () => resolveIdleStopArgs({ ...base, transferBytesPerMinute: -1 }),
            /transferBytesPerMinute: -1 is not allowed; expected a whole number from 0 to 1000000000$/,
        );
        assert.deepEqual(
            (({ busyProcessPercent, busyGpuPercent, transferBytesPerMinute }) => [busyProcessPercent, busyGpuPercent, transferBytesPerMinute])(
                resolveIdleStopArgs({ ...base, busyProcessPercent: 0, busyGpuPercent: 100, transferBytesPerMinute: 0 }),
            ),
            [0, 100, 0],
        );
    });

    it("writes an agent config the agent itself accepts, with and without a warning alarm", async () => {
        for (const extra of [{}, { notifyEmail: "dev@example.com" }] as Array<Record<string, string>>) {
            const run = await runProgram(adoptedConfig(extra));
            const create = String(single(run.resources, "command:remote:Command").inputs.create);
            const json = Buffer.from(/--config-b64 (\S+)/.exec(create)![1], "base64").toString("utf8");
            const parsed = parseConfig(JSON.parse(json), "agent.json");
            assert.equal(parsed.instanceId, adoptedInstanceId);
            assert.equal(parsed.alarmName, run.outputs.alarmName);
            assert.equal(parsed.warningAlarmName, undefined, "nothing re-arms alarms through the alarm API any more");
        }
    });

    it("gives a new release id when the agent config changes (so the command is replaced)", async () => {
        const releases = [];
        for (const idleMinutes of ["15", "16", "15"]) {
            const run = await runProgram(adoptedConfig({ idleMinutes }));
            releases.push(String((single(run.resources, "command:remote:Command").inputs.triggers as unknown[])[0]));
        }
        assert.notEqual(releases[0], releases[1]);
        assert.equal(releases[0], releases[2], "the release id is a pure function of its inputs");
    });

    it("hashes the payload by content, so a changed bundle is a new release", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "idle-stop-payload-"));
        try {
            for (const file of ["idle-stop-agent.js", "install.sh", "uninstall.sh"]) fs.writeFileSync(path.join(dir, file), file);
            const before = payloadHash(dir);
            assert.equal(payloadHash(dir), before);
            fs.writeFileSync(path.join(dir, "idle-stop-agent.js"), "changed");
            assert.notEqual(payloadHash(dir), before);
            fs.rmSync(path.join(dir, "install.sh"));
            assert.throws(() => payloadHash(dir), /lacks install\.sh; run `npm run build` first/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("builds shell-safe install and uninstall commands", () => {
        assert.equal(shellQuote("plain-value_1.2"), "plain-value_1.2");
        assert.equal(shellQuote("it's $HOME"), `'it'"'"'s $HOME'`);
        const command = installCommand({
            release: "abc",
            agentConfigJson: "{}",
            credentialsOnStdin: false,
            nodeDistUrl: "https://mirror.example/node dist",
        });
        assert.ok(command.endsWith(`--node-dist-url 'https://mirror.example/node dist'`));
        assert.ok(!command.includes("--credentials-stdin"));
        assert.ok(!command.includes("--client-alive"));
    });
});
