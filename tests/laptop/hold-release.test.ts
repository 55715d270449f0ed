// `idle-stop hold NAME DURATION` and `release NAME` for a teammate with only AWS credentials (NO
// `pulumi` on PATH): the box is found from its idle alarm's tags, and its own `idle-stop` runs over
// real ssh against the loopback sshd, with a stand-in `idle-stop` first on the remote user's PATH
// that records the arguments it got.
import { strict as assert } from "assert";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { useSshd } from "../support/sshd";
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
});
