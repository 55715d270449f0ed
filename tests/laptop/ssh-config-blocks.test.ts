// `idle-stop ssh-config` with several stacks: one marked block per stack in a real ~/.ssh/config,
// read back with `ssh -G` (what ssh itself makes of the file); --prefix, --dry-run, --remove,
// the warning about an earlier Host line, the configured sshHost in the ProxyCommand, --version.
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { commands } from "../../laptop/src/commands";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, FakePulumi, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, runLaptop } from "../support/laptop";
import { useSshd } from "../support/sshd";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";
const carolId = "i-0ccccccccccccccc3";

describe("idle-stop ssh-config: one block per stack", function () {
    this.timeout(90000);
    const sshd = useSshd();
    let ec2: Ec2Endpoint;
    let pulumi: FakePulumi;
    let home: string;
    let env: NodeJS.ProcessEnv;
    let configPath: string;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
    });
    beforeEach(() => {
        pulumi = installFakePulumi({ outputs: { instances: { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) } } });
        home = mkdtempSync(path.join(tmpdir(), "idle-stop-home-"));
        configPath = path.join(home, ".ssh", "config");
        env = pulumi.pathEnv(clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url, HOME: home }));
        delete env.AWS_PROFILE;
        delete env.IDLE_STOP_STACK;
    });
    afterEach(() => {
        pulumi.remove();
        rmSync(home, { recursive: true, force: true });
    });
    after(async () => {
        await ec2?.close();
    });

    /** What ssh makes of the config for `host`: its lower-cased options (`ssh -G`). */
    function sshSees(host: string): Map<string, string> {
        const out = execFileSync("ssh", ["-G", "-F", configPath, host], { encoding: "utf8", env: { ...env, HOME: home } });
        return new Map(out.split("\n").map((line) => [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)]));
    }

    async function write(stack: string, instances: Record<string, unknown>, ...more: string[]): Promise<void> {
        pulumi.setOutputs({ instances });
        const r = await runLaptop(["ssh-config", "--stack", stack, "--write", ...more], { env });
        assert.equal(r.code, 0, r.stderr);
    }

    it("writing stack B leaves stack A's block; ssh resolves hosts of both; a box no longer watched drops out", async () => {
        await write("dev", { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) });
        await write("prod", { bob: boxOutput("bob", { instanceId: bobId, sshPort: 2222 }) });
        const text = readFileSync(configPath, "utf8");
        assert.match(text, /^# BEGIN idle-stop ssh-config \(stack dev; /m);
        assert.match(text, /^# BEGIN idle-stop ssh-config \(stack prod; /m);
        assert.equal(text.match(/^# END idle-stop ssh-config$/gm)?.length, 2);
        assert.equal(sshSees("alice").get("hostkeyalias"), aliceId);
        assert.match(sshSees("alice").get("proxycommand") ?? "", new RegExp(`proxy --instance-id ${aliceId} .*--name alice`));
        assert.equal(sshSees("bob").get("hostkeyalias"), bobId);
        assert.equal(sshSees("bob").get("port"), "2222");

        // dev now watches carol instead of alice: alice drops out, prod's bob stays.
        await write("dev", { carol: boxOutput("carol", { instanceId: carolId, sshPort: 22 }) });
        const after = readFileSync(configPath, "utf8");
        assert.doesNotMatch(after, /Host alice/);
        assert.equal(sshSees("alice").get("hostkeyalias"), undefined);
        assert.equal(sshSees("carol").get("hostkeyalias"), carolId);
        assert.equal(sshSees("bob").get("hostkeyalias"), bobId);
        assert.ok(after.indexOf("stack dev;") < after.indexOf("stack prod;"), "dev's block rewritten in place");
    });

    it("--prefix makes the host aliases prefix+name; a bad prefix is a usage error", async () => {
        await write("dev", { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) }, "--prefix", "idle-stop.");
        assert.equal(sshSees("idle-stop.alice").get("hostkeyalias"), aliceId);
        assert.match(sshSees("idle-stop.alice").get("proxycommand") ?? "", /--name alice/);
        assert.equal(sshSees("alice").get("hostkeyalias"), undefined);
        for (const bad of ["x*", "a b", "-o", "pre%fix", "UPPER."]) {
            const r = await runLaptop(["ssh-config", "--stack", "dev", `--prefix=${bad}`], { env });
            assert.equal(r.code, 2, bad);
            assert.match(r.stderr, /^idle-stop: ssh-config: --prefix .*expected/, bad);
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        }
    });

    it("warns naming file:line of an earlier Host line that would win; a Host * with other options is no conflict", async () => {
        mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
        writeFileSync(configPath, "Host *\n    ServerAliveInterval 30\nHost alice other\n    HostName 10.1.2.3\n    User me\n", { mode: 0o600 });
        pulumi.setOutputs({ instances: { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) } });
        const r = await runLaptop(["ssh-config", "--stack", "dev", "--write"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr.match(/warning/g)?.length, 1, r.stderr);
        assert.ok(
            r.stderr.includes(`${configPath}:3: "Host alice other" comes before idle-stop's block and sets hostname, user for alice`),
            r.stderr,
        );
        assert.equal(sshSees("alice").get("user"), "me", "ssh indeed takes the earlier value");

        // With a prefix the aliases no longer collide: no warning.
        const prefixed = await runLaptop(["ssh-config", "--stack", "dev", "--write", "--prefix", "idle-stop."], { env });
        assert.equal(prefixed.code, 0, prefixed.stderr);
        assert.doesNotMatch(prefixed.stderr, /warning/);
    });

    it("--dry-run prints the diff --write would apply and writes nothing", async () => {
        const noFile = await runLaptop(["ssh-config", "--stack", "dev", "--dry-run"], { env });
        assert.equal(noFile.code, 0, noFile.stderr);
        assert.match(
            noFile.stdout,
            /^--- .*\.ssh\/config\n\+\+\+ .*\(after --write\)\n@@ -0,0 \+1,7 @@\n\+# BEGIN idle-stop ssh-config \(stack dev;/,
        );
        assert.ok(!existsSync(path.join(home, ".ssh")), "no ~/.ssh created");

        await write("dev", { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) });
        const before = readFileSync(configPath, "utf8");
        const mtime = statSync(configPath).mtimeMs;
        rmSync(`${configPath}.idle-stop.bak`, { force: true });
        pulumi.setOutputs({ instances: { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 2200 }) } });
        const r = await runLaptop(["ssh-config", "--stack", "dev", "--dry-run"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /\n- {4}Port 22\n/);
        assert.match(r.stdout, /\n\+ {4}Port 2200\n/);
        assert.match(r.stdout, /\n {5}User root\n/, "context lines start with a space");
        assert.equal(readFileSync(configPath, "utf8"), before);
        assert.equal(statSync(configPath).mtimeMs, mtime);
        assert.ok(!existsSync(`${configPath}.idle-stop.bak`), "no backup either");

        const same = await runLaptop(["ssh-config", "--stack", "dev", "--dry-run", "--prefix", ""], { env });
        assert.equal(same.code, 0, same.stderr);
    });

    it("--remove takes out this stack's block only, restoring the file as it was before", async () => {
        mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
        const original = "Host git\n    HostName git.example.com\n";
        writeFileSync(configPath, original, { mode: 0o600 });
        await write("dev", { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) });
        const devOnly = readFileSync(configPath, "utf8");
        await write("prod", { bob: boxOutput("bob", { instanceId: bobId, sshPort: 22 }) });

        const dry = await runLaptop(["ssh-config", "--stack", "prod", "--remove", "--dry-run"], { env });
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /\n-Host bob\n/);
        assert.match(readFileSync(configPath, "utf8"), /Host bob/, "dry run removed nothing");

        const r = await runLaptop(["ssh-config", "--stack", "prod", "--remove"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(readFileSync(configPath, "utf8"), devOnly);
        assert.equal(sshSees("alice").get("hostkeyalias"), aliceId);
        assert.equal((await runLaptop(["ssh-config", "--stack", "dev", "--remove"], { env })).code, 0);
        assert.equal(readFileSync(configPath, "utf8"), original);
        const again = await runLaptop(["ssh-config", "--stack", "dev", "--remove"], { env });
        assert.equal(again.code, 0);
        assert.match(again.stdout, /has no block for the stack "dev"/);
    });

    it("a configured sshHost goes into the ProxyCommand (--host) and real ssh is relayed there", async () => {
        ec2.addInstance({ id: aliceId, state: "running", name: "alice" });
        // EC2 reports an address nothing listens on; the configured host is the one that works.
        const saved = ec2.publicAddress;
        ec2.publicAddress = "127.0.0.2";
        try {
            const inst = { alice: boxOutput("alice", { instanceId: aliceId, sshPort: sshd().port, sshHost: "127.0.0.1", sshHostFixed: true }) };
            await write("dev", inst);
            assert.match(sshSees("alice").get("proxycommand") ?? "", / --host 127\.0\.0\.1 --name alice/);
            // The test client's options without its own -F /dev/null and -p: the written config decides.
            const client = sshd().clientOptions().slice(2);
            const args = ["-F", configPath, ...client.slice(0, client.indexOf("-p")), "alice", "echo via-host"];
            const r = await sshd().runClient("ssh", args, undefined, 60000, { env });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "via-host\n");
        } finally {
            ec2.publicAddress = saved;
        }
    });

    it("every command answers --version", async () => {
        const version = (JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
        for (const args of [["--version"], ...commands.map((c) => [c.name, "--version"])]) {
            const r = await runLaptop(args, { env });
            assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
            assert.equal(r.stdout, `idle-stop ${version}\n`, args.join(" "));
        }
    });
});
