// `idle-stop hold NAME DURATION` and `release NAME` for a teammate with only AWS credentials (NO
// `pulumi` on PATH): the box is found from its idle alarm's tags, and its own `idle-stop` runs over
// real ssh against the loopback sshd, with a stand-in `idle-stop` first on the remote user's PATH
// that records the arguments it got.
import { strict as assert } from "assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { sshClientOptions, useSshd, waitUntil } from "../support/sshd";
import { AgentBox, AgentStatus, installAgentBox } from "./support-agent-box";
import { addDeployedBox, pathWithoutPulumi } from "./support-alarms";

const fixedId = "i-0aaaaaaaaaaaaaaa1";
const ec2AddressId = "i-0bbbbbbbbbbbbbbb2";

describe("idle-stop hold / release over ssh (boxes found from AWS, loopback sshd)", function () {
    this.timeout(90000);
    // The stand-in is found on the remote PATH the user's ~/.ssh/environment sets.
    const sshd = useSshd({ extraConfig: ["PermitUserEnvironment PATH"] });
    let ec2: Ec2Endpoint;
    let cw: CloudWatchEndpoint;
    let env: NodeJS.ProcessEnv;
    let user: string;
    let home: string;
    let dir: string;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
        cw = await startCloudWatchEndpoint();
        dir = mkdtempSync(path.join(tmpdir(), "idle-stop-hold-"));
        env = clientEnv(cw.url, { AWS_ENDPOINT_URL_EC2: ec2.url, PATH: pathWithoutPulumi() });
        user = sshd().addUser({ prefix: "isth" });
        home = `/home/${user}`;
        mkdirSync(`${home}/bin`, { recursive: true });
        mkdirSync(`${home}/.ssh`, { recursive: true });
        writeFileSync(`${home}/.ssh/environment`, `PATH=${home}/bin:/usr/bin:/bin\n`);
        // One argument per line, NUL-free: what the remote shell handed over after unquoting.
        writeFileSync(`${home}/bin/idle-stop`, `#!/bin/sh\nprintf '%s\\n' "$@" > "$HOME/args"\necho "stand-in idle-stop: $1"\n`);
        chmodSync(`${home}/bin/idle-stop`, 0o755);
        const port = sshd().port;
        addDeployedBox(cw, {
            region: "eu-west-1",
            box: "fixed",
            stack: "idle-stop/dev",
            instanceId: fixedId,
            sshUser: user,
            sshPort: port,
            sshHost: "127.0.0.1",
        });
        addDeployedBox(cw, { region: "eu-west-1", box: "roaming", stack: "idle-stop/dev", instanceId: ec2AddressId, sshUser: user, sshPort: port });
        ec2.addInstance({ id: fixedId, state: "running" });
    });
    after(async () => {
        await ec2?.close();
        await cw?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const remoteArgs = () => readFileSync(`${home}/args`, "utf8").split("\n").slice(0, -1);
    const sshOptions = () => ["--", ...sshd().clientOptions()].filter((_, i, all) => all[i] !== "-p" && all[i - 1] !== "-p");

    it("hold runs the box's idle-stop hold at the tags' host, user and port, the reason passed intact", async () => {
        const reason = `it's "late"; $(touch /tmp/pwned) \`id\` & rm -rf ~`;
        const r = await runLaptop(["hold", "fixed", "2h", "--reason", reason, ...sshOptions()], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "stand-in idle-stop: hold\n");
        assert.deepEqual(remoteArgs(), ["hold", "2h", "--reason", reason]);
    });

    it("release runs the box's idle-stop release with the ID or --all", async () => {
        const r = await runLaptop(["release", "fixed", "--all", ...sshOptions()], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(remoteArgs(), ["release", "--all"]);
        const one = await runLaptop(["release", "fixed", "abc123", ...sshOptions()], { env });
        assert.equal(one.code, 0, one.stderr);
        assert.deepEqual(remoteArgs(), ["release", "abc123"]);
    });

    it("without a fixed host, dials the address EC2 reports; a stopped box must be started first", async () => {
        ec2.addInstance({ id: ec2AddressId, state: "stopped" });
        const stopped = await runLaptop(["hold", "roaming", "30m", ...sshOptions()], { env });
        assert.equal(stopped.code, 1);
        assert.equal(stopped.stderr, "idle-stop: roaming (i-0bbbbbbbbbbbbbbb2) is stopped: start it first (idle-stop start roaming)\n");
        ec2.addInstance({ id: ec2AddressId, state: "running" });
        const r = await runLaptop(["hold", "roaming", "30m", ...sshOptions()], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(remoteArgs(), ["hold", "30m"]);
    });

    it("goes through the user's ssh config when it has a Host block for the box", async () => {
        const config = path.join(dir, "ssh_config");
        // A host the tags do not name: only the config can lead ssh to the box.
        writeFileSync(config, `Host teambox\n  HostName 127.0.0.1\n  Port ${sshd().port}\n  User ${user}\n`);
        const options = sshOptions();
        const withConfig = options.map((o, i) => (options[i - 1] === "-F" ? config : o));
        const r = await runLaptop(["hold", "fixed", "1h", "--ssh-host", "teambox", ...withConfig], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(remoteArgs(), ["hold", "1h"]);
    });

    it("refuses a DURATION or reason it must not pass on (exit 2), and ssh's failure is its exit code", async () => {
        for (const args of [
            ["hold", "fixed", "-1h"],
            ["hold", "fixed", "2h;id"],
            ["hold", "fixed", "2h", "--reason", "a\nb"],
        ]) {
            const r = await runLaptop(args, { env });
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        }
        const denied = await runLaptop(
            [
                "hold",
                "fixed",
                "2h",
                "--",
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-i",
                "/dev/null",
            ],
            { env },
        );
        assert.equal(denied.code, 255);
    });

    // The acceptance of docs/reference/laptop.md#finding-the-boxes in one piece, on the same sshd.
    describe("a teammate with only AWS credentials: two stacks, two regions, real ssh, the real agent on the box", () => {
        const aliceId = "i-0ddddddddddddddd4"; // eu-west-1, idle-stop/dev, sshHost fixed by config
        const bobId = "i-0eeeeeeeeeeeeeee5"; // us-east-2, team/prod, dialled at the address EC2 reports
        let teamEc2: Ec2Endpoint;
        let teamCw: CloudWatchEndpoint;
        let teamEnv: NodeJS.ProcessEnv;
        let laptopHome: string;
        let box: AgentBox;

        before(async () => {
            teamEc2 = await startEc2Endpoint();
            teamEc2.pendingMs = 300;
            teamEc2.stoppingMs = 300;
            teamCw = await startCloudWatchEndpoint();
            laptopHome = path.join(dir, "teammate");
            mkdirSync(path.join(laptopHome, ".ssh"), { recursive: true, mode: 0o700 });
            writeFileSync(path.join(dir, "aws-config"), "[default]\nregion = us-east-2\n");
            // AWS_REGION (eu-west-1) and the profile's region (us-east-2): both searched; no pulumi anywhere.
            teamEnv = clientEnv(teamCw.url, {
                AWS_ENDPOINT_URL_EC2: teamEc2.url,
                AWS_CONFIG_FILE: path.join(dir, "aws-config"),
                HOME: laptopHome,
                PATH: pathWithoutPulumi(),
            });
            assert.notEqual(spawnSync("sh", ["-c", "command -v pulumi"], { env: teamEnv }).status, 0, "pulumi must not be on PATH");
            box = installAgentBox(sshd().addUser({ prefix: "ista" }));
            const port = sshd().port;
            addDeployedBox(teamCw, {
                region: "eu-west-1",
                box: "alice",
                stack: "idle-stop/dev",
                instanceId: aliceId,
                sshUser: box.user,
                sshPort: port,
                sshHost: "127.0.0.1",
            });
            addDeployedBox(teamCw, { region: "us-east-2", box: "bob", stack: "team/prod", instanceId: bobId, sshUser: box.user, sshPort: port });
            teamEc2.addInstance({ id: aliceId, state: "running", name: "alice" });
            teamEc2.addInstance({ id: bobId, state: "stopped", name: "bob" });
        });
        after(async () => {
            await teamEc2?.close();
            await teamCw?.close();
        });

        const configFile = () => path.join(laptopHome, ".ssh", "config");
        /** ssh's own options, the config the laptop command wrote: as a user's `ssh alice` reads it. */
        const viaConfig = () => ["-F", configFile(), ...sshClientOptions(sshd().keyPath).filter((o, i, all) => o !== "-F" && all[i - 1] !== "-F")];
        const sshTo = (alias: string, command: string) =>
            sshd().runClient("ssh", [...viaConfig(), alias, command], undefined, 60000, { env: teamEnv });
        const agentStatus = async (alias: string): Promise<AgentStatus> => {
            const r = await sshTo(alias, "idle-stop status --json");
            assert.equal(r.code, 0, r.stderr);
            return JSON.parse(r.stdout) as AgentStatus;
        };

        it("ssh-config --dry-run shows, and --write adds, one block per stack for both regions, leaving the rest of ~/.ssh/config", async () => {
            const mine = "Host *\n    ServerAliveInterval 30\n";
            writeFileSync(configFile(), mine, { mode: 0o600 });
            const dry = await runLaptop(["ssh-config", "--dry-run"], { env: teamEnv });
            assert.equal(dry.code, 0, dry.stderr);
            assert.equal(readFileSync(configFile(), "utf8"), mine, "a dry run writes nothing");
            assert.match(dry.stdout, /^\+# BEGIN idle-stop ssh-config \(stack idle-stop\/dev;/m);
            assert.match(dry.stdout, /^\+# BEGIN idle-stop ssh-config \(stack team\/prod;/m);
            const written = await runLaptop(["ssh-config", "--write"], { env: teamEnv });
            assert.equal(written.code, 0, written.stderr);
            const text = readFileSync(configFile(), "utf8");
            assert.ok(text.startsWith(mine), text);
            // The dry run's added lines are exactly what --write added.
            const added = dry.stdout
                .split("\n")
                .filter((l) => l.startsWith("+") && !l.startsWith("+++"))
                .map((l) => l.slice(1));
            assert.equal(`${mine}${added.join("\n")}\n`, text);
            assert.match(
                text,
                /^Host alice\n(?: {4}.*\n){3} {4}ProxyCommand .* proxy --instance-id i-0ddddddddddddddd4 --region eu-west-1 --port \d+ --host 127\.0\.0\.1 --name alice\n/m,
            );
            assert.match(
                text,
                /^Host bob\n(?: {4}.*\n){3} {4}ProxyCommand .* proxy --instance-id i-0eeeeeeeeeeeeeee5 --region us-east-2 --port \d+ --name bob\n/m,
            );
            const again = await runLaptop(["ssh-config", "--write"], { env: teamEnv });
            assert.equal(again.stdout, `${configFile()} is up to date (alice, bob)\n`);
        });

        it("real ssh through the written config: a running box directly, a stopped one in the other region started once by the proxy", async () => {
            const alice = await agentStatus("alice");
            assert.deepEqual(alice.holds, []);
            assert.equal(teamEc2.calls("StartInstances").length, 0);
            const bob = await agentStatus("bob");
            assert.deepEqual(bob.holds, []);
            assert.equal(teamEc2.calls("StartInstances", bobId).length, 1);
            assert.equal(teamEc2.instance(bobId)?.state, "running");
        });

        it("status, stop and start find the boxes from AWS alone", async () => {
            const status = await runLaptop(["status", "--json"], { env: teamEnv });
            assert.equal(status.code, 0, status.stderr);
            assert.deepEqual(
                (JSON.parse(status.stdout) as Array<Record<string, unknown>>).map((b) => [b.name, b.stack, b.region, b.state]),
                [
                    ["alice", "idle-stop/dev", "eu-west-1", "running"],
                    ["bob", "team/prod", "us-east-2", "running"],
                ],
            );
            const stopped = await runLaptop(["stop", "alice"], { env: teamEnv });
            assert.equal(stopped.code, 0, stopped.stderr);
            assert.equal(teamEc2.calls("StopInstances", aliceId).length, 1);
            await waitUntil(() => teamEc2.instance(aliceId)?.state === "stopped", 10000, "alice stopped");
            const started = await runLaptop(["start", "alice"], { env: teamEnv });
            assert.equal(started.code, 0, started.stderr);
            assert.match(started.stdout, /^alice \(i-0ddddddddddddddd4\) is running at 127\.0\.0\.1\n$/);
            assert.equal(teamEc2.calls("StartInstances", aliceId).length, 1);
        });

        it("hold puts a hold in the box's real agent (its status shows it), release takes it away", async () => {
            const held = await runLaptop(["hold", "bob", "2h", "--reason", "nightly build", "--", ...viaConfig()], { env: teamEnv });
            assert.equal(held.code, 0, held.stderr);
            const id = /^hold (\S+) until \S+ \(2h\) "nightly build"\n$/.exec(held.stdout)?.[1];
            assert.ok(id !== undefined, held.stdout);
            const holds = (await agentStatus("bob")).holds;
            assert.deepEqual(
                holds.map((h) => [h.id, h.user, h.reason]),
                [[id, box.user, "nightly build"]],
            );
            assert.ok(Date.parse(String(holds[0].expiresAt)) - Date.now() > 3600_000, "about two hours left");
            const released = await runLaptop(["release", "bob", id, "--", ...viaConfig()], { env: teamEnv });
            assert.equal(released.code, 0, released.stderr);
            assert.deepEqual((await agentStatus("bob")).holds, []);
            assert.deepEqual(readdirSync(box.holdsDir), [], "no hold file left");
        });
    });
});
