// `idle-stop ssh-config`: Host blocks from the stack outputs (a stand-in `pulumi` on PATH prints
// them), `--write` into a real ~/.ssh/config, and the written block used by a real `ssh` that
// wakes a stopped (fake EC2) instance and lands on the loopback sshd.
import { strict as assert } from "assert";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv, TEST_CREDENTIALS } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, FakePulumi, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, launcher, runLaptop } from "../support/laptop";
import { useSshd } from "../support/sshd";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";

describe("idle-stop ssh-config", function () {
    this.timeout(90000);
    const sshd = useSshd();
    let ec2: Ec2Endpoint;
    let pulumi: FakePulumi;
    let home: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
    });
    beforeEach(() => {
        pulumi = installFakePulumi({ outputs: { instances: { alice: boxOutput("alice", { instanceId: aliceId, sshPort: sshd().port }) } } });
        home = mkdtempSync(path.join(tmpdir(), "idle-stop-home-"));
        env = pulumi.pathEnv(clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url, HOME: home }));
    });
    afterEach(() => {
        pulumi.remove();
        rmSync(home, { recursive: true, force: true });
    });
    after(async () => {
        await ec2?.close();
    });

    it("prints a Host block per watched instance whose ProxyCommand is this command by absolute path", async () => {
        pulumi.setOutputs({
            instances: {
                alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22, sshUser: "ec2-user" }),
                bob: boxOutput("bob", { instanceId: bobId, sshPort: 2222, sshUser: "ubuntu", region: "us-east-2" }),
            },
        });
        const r = await runLaptop(["ssh-config", "--stack", "dev"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            pulumi.invocations().map((i) => i.argv),
            [["stack", "output", "--json", "--stack", "dev"]],
        );
        assert.equal(
            r.stdout,
            [
                "# BEGIN idle-stop ssh-config (stack dev; `npx idle-stop ssh-config --write` rewrites this block)",
                "Host alice",
                "    User ec2-user",
                "    Port 22",
                `    HostKeyAlias ${aliceId}`,
                `    ProxyCommand ${process.execPath} ${launcher} proxy --instance-id ${aliceId} --region eu-west-1 --port 22 --name alice`,
                "Host bob",
                "    User ubuntu",
                "    Port 2222",
                `    HostKeyAlias ${bobId}`,
                `    ProxyCommand ${process.execPath} ${launcher} proxy --instance-id ${bobId} --region us-east-2 --port 2222 --name bob`,
                "# END idle-stop ssh-config",
                "",
            ].join("\n"),
        );
        assert.ok(path.isAbsolute(launcher));
    });

    it("--write keeps one marked block, everything else byte for byte, a backup, mode 0600; idempotent", async () => {
        mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
        const configPath = path.join(home, ".ssh", "config");
        const before =
            "# my config\r\nHost *\n\tServerAliveInterval 30\n\nInclude ~/.ssh/work.conf\nHost git\n    HostName git.example.com  # trailing spaces   ";
        writeFileSync(configPath, before, { mode: 0o600 });
        chmodSync(configPath, 0o600);

        const first = await runLaptop(["ssh-config", "--write"], { env });
        assert.equal(first.code, 0, first.stderr);
        const written = readFileSync(configPath, "utf8");
        assert.ok(written.startsWith(`${before}\n\n# BEGIN idle-stop ssh-config`), "appended after the untouched original");
        assert.ok(written.endsWith("# END idle-stop ssh-config\n"));
        assert.match(written, /\nHost alice\n {4}User root\n/);
        assert.equal(readFileSync(`${configPath}.idle-stop.bak`, "utf8"), before, "backup of the previous file");
        assert.equal(statSync(configPath).mode & 0o777, 0o600);
        assert.equal(statSync(`${configPath}.idle-stop.bak`).mode & 0o777, 0o600);
        assert.match(first.stdout, /wrote Host alice; previous file in .*config\.idle-stop\.bak/);

        const mtime = statSync(configPath).mtimeMs;
        const again = await runLaptop(["ssh-config", "--write"], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /is up to date/);
        assert.equal(readFileSync(configPath, "utf8"), written);
        assert.equal(statSync(configPath).mtimeMs, mtime, "nothing rewritten");

        // The user adds lines after the block; the stack gains a box: only the block changes.
        const after = "\nHost late\n  User me\n";
        writeFileSync(configPath, written + after);
        pulumi.setOutputs({
            instances: {
                alice: boxOutput("alice", { instanceId: aliceId, sshPort: sshd().port }),
                bob: boxOutput("bob", { instanceId: bobId, sshPort: 2222 }),
            },
        });
        const third = await runLaptop(["ssh-config", "--write"], { env });
        assert.equal(third.code, 0, third.stderr);
        const updated = readFileSync(configPath, "utf8");
        assert.ok(updated.startsWith(`${before}\n\n# BEGIN idle-stop ssh-config`));
        assert.ok(updated.endsWith(`# END idle-stop ssh-config\n${after}`), "text after the block untouched");
        assert.equal(updated.match(/# BEGIN idle-stop/g)?.length, 1, "still one marked block");
        assert.match(updated, /\nHost bob\n/);
        assert.equal(readFileSync(`${configPath}.idle-stop.bak`, "utf8"), written + after);
        assert.equal(statSync(configPath).mode & 0o777, 0o600);
    });

    it("creates ~/.ssh/config (0600) when there is none", async () => {
        const r = await runLaptop(["ssh-config", "--write"], { env });
        assert.equal(r.code, 0, r.stderr);
        const configPath = path.join(home, ".ssh", "config");
        assert.match(readFileSync(configPath, "utf8"), /^# BEGIN idle-stop ssh-config/);
        assert.equal(statSync(configPath).mode & 0o777, 0o600);
        assert.equal(statSync(path.join(home, ".ssh")).mode & 0o777, 0o700);
    });

    it("the written block makes plain `ssh alice` wake the stopped box and log in, with the profile it was written with", async () => {
        ec2.addInstance({ id: aliceId, state: "stopped", name: "alice-box" });
        // Credentials only in ~/.aws/credentials under a named profile, as on a laptop.
        mkdirSync(path.join(home, ".aws"));
        writeFileSync(
            path.join(home, ".aws", "credentials"),
            `[idle-test]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`,
            { mode: 0o600 },
        );
        const laptopEnv: NodeJS.ProcessEnv = { ...env, AWS_PROFILE: "idle-test" };
        for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_REGION"])
            delete laptopEnv[key];
        assert.equal((await runLaptop(["ssh-config", "--write"], { env: laptopEnv })).code, 0);
        const configPath = path.join(home, ".ssh", "config");
        assert.match(readFileSync(configPath, "utf8"), /--name alice --profile idle-test\n/);
        // ssh started by an editor: no AWS_PROFILE in its environment.
        const editorEnv = { ...laptopEnv };
        delete editorEnv.AWS_PROFILE;
        const args = [
            "-F",
            configPath,
            "-i",
            sshd().keyPath,
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            `UserKnownHostsFile=${path.join(home, "known_hosts")}`,
            "alice",
            "echo woke-$(id -un)",
        ];
        const r = await sshd().runClient("ssh", args, undefined, 60000, { env: editorEnv });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "woke-root\n");
        assert.match(r.stderr, /idle-stop: alice is stopped; starting it/);
        assert.equal(ec2.calls("StartInstances", aliceId).length, 1);
        assert.match(
            readFileSync(path.join(home, "known_hosts"), "utf8"),
            new RegExp(`^${aliceId} ssh-ed25519 `, "m"),
            "host key filed under the instance id",
        );
    });

    it("fails clearly when the stack's outputs predate the laptop command", async () => {
        pulumi.setOutputs({ instances: { alice: { instanceId: aliceId, sshCommand: "ssh ubuntu@x" } } });
        const r = await runLaptop(["ssh-config"], { env });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^idle-stop: the stack's outputs lack what the laptop command needs .*run `npm run deploy` once/);
        pulumi.setExitCode("stack", 255);
        const failed = await runLaptop(["ssh-config"], { env });
        assert.equal(failed.code, 1);
        assert.match(failed.stderr, /`pulumi stack output` failed \(exit 255\)/);
    });
});
