// The laptop command against values chosen by someone else (issue 23, findings 1, 7, 9, 10, 11):
// a stand-in `pulumi` printing hostile stack outputs, a local EC2 endpoint with hostile tags and
// addresses, symbolic links planted next to ~/.ssh/config. What was written is checked with the
// real `ssh -G` and a real ssh through the loopback sshd.
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { boxOutput, FakePulumi, installFakePulumi } from "../support/fake-pulumi";
import { buildLaptopCommand, launcher, proxyCommand, runLaptop } from "../support/laptop";
import { CommandResult, useSshd } from "../support/sshd";

const aliceId = "i-0aaaaaaaaaaaaaaa1";
const bobId = "i-0bbbbbbbbbbbbbbb2";
let counter = 0;
function newId(): string {
    counter += 1;
    return `i-0${String(counter).padStart(15, "0")}e`;
}

/** `ssh -G`: the options ssh would use for `host` with this config file only, as key -> values. */
function sshG(configPath: string, host: string): { code: number; options: Map<string, string[]>; stderr: string } {
    let stdout = "";
    let stderr = "";
    let code = 0;
    try {
        stdout = execFileSync("ssh", ["-G", "-F", configPath, host], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        ({ stdout, stderr, status: code } = e);
    }
    const options = new Map<string, string[]>();
    for (const line of stdout.split("\n").filter((l) => l !== "")) {
        const [key, ...rest] = line.split(" ");
        options.set(key, [...(options.get(key) ?? []), rest.join(" ")]);
    }
    return { code, options, stderr };
}

const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("idle-stop against hostile values (issue 23)", function () {
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
        pulumi = installFakePulumi({ outputs: { instances: {} } });
        home = mkdtempSync(path.join(tmpdir(), "idle-stop-home-"));
        env = pulumi.pathEnv(clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url, HOME: home }));
        delete env.AWS_PROFILE;
    });
    afterEach(() => {
        pulumi.remove();
        rmSync(home, { recursive: true, force: true });
    });
    after(async () => {
        await ec2?.close();
    });

    describe("finding 1: stack outputs never inject ssh_config directives", () => {
        it("skips every entry with a bad field (named on stderr, escaped), keeps the good ones; ssh -G shows nothing injected", async () => {
            const mark = path.join(home, "pwned");
            const good = (name: string, fields: Parameters<typeof boxOutput>[1]) => boxOutput(name, fields);
            const hostile: Record<string, Record<string, unknown>> = {
                mallory: { ...good("mallory", { instanceId: newId(), sshPort: 22 }), sshUser: `ubuntu\nMatch exec "touch ${mark}"` },
                "devbox *": good("devbox", { instanceId: newId(), sshPort: 22 }),
                "evil\nMatch exec true": good("evil", { instanceId: newId(), sshPort: 22 }),
                porty: good("porty", { instanceId: newId(), sshPort: 22.5 }),
                wideport: good("wideport", { instanceId: newId(), sshPort: 70000 }),
                idinject: {
                    ...good("idinject", { instanceId: newId(), sshPort: 22 }),
                    instanceId: `i-0123456789abcdef0\nMatch exec "touch ${mark}"`,
                },
                regioninject: { ...good("regioninject", { instanceId: newId(), sshPort: 22 }), region: `eu-west-1\nMatch exec "touch ${mark}"` },
                escapes: { ...good("escapes", { instanceId: newId(), sshPort: 22 }), sshUser: "\u001b[2J\u001b]0;owned\u0007" },
                hostinject: { ...good("hostinject", { instanceId: newId(), sshPort: 22 }), sshHost: "-oProxyCommand=sh" },
                urninject: { ...good("urninject", { instanceId: newId(), sshPort: 22 }), agentCommandUrn: "--yes" },
            };
            pulumi.setOutputs({
                instances: {
                    alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22, sshUser: "ec2-user" }),
                    ...hostile,
                    bob: boxOutput("bob", { instanceId: bobId, sshPort: 2222, sshUser: "ubuntu", region: "us-east-2" }),
                },
            });
            const r = await runLaptop(["ssh-config", "--write", "--stack", "dev"], { env });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /wrote Host alice, bob\n$/);

            // One warning per refused entry, each one line, naming it with its characters escaped.
            const warnings = r.stderr.split("\n").filter((l) => l !== "");
            assert.equal(warnings.length, Object.keys(hostile).length, r.stderr);
            assert.ok(
                warnings.every((l) => l.startsWith("idle-stop: skipping the stack's instance ")),
                r.stderr,
            );
            assert.doesNotMatch(r.stderr, controlCharacters);
            for (const name of Object.keys(hostile)) assert.ok(r.stderr.includes(JSON.stringify(name)), `${JSON.stringify(name)} named: ${r.stderr}`);
            assert.ok(r.stderr.includes(`"mallory": sshUser "ubuntu\\nMatch exec`), r.stderr);
            assert.ok(r.stderr.includes(`"porty": sshPort "22.5" is not a whole number from 1 to 65535`), r.stderr);
            assert.ok(r.stderr.includes(`"escapes": sshUser "\\u001b[2J\\u001b]0;owned\\u0007"`), r.stderr);

            const configPath = path.join(home, ".ssh", "config");
            const written = readFileSync(configPath, "utf8");
            assert.deepEqual(
                written.split("\n").filter((l) => /^\S/.test(l) && !l.startsWith("#")),
                ["Host alice", "Host bob"],
                "only the good boxes' Host lines, nothing else at the top level",
            );
            assert.doesNotMatch(written, /Match|touch/);

            const alice = sshG(configPath, "alice");
            assert.equal(alice.code, 0, alice.stderr);
            assert.deepEqual(alice.options.get("user"), ["ec2-user"]);
            assert.deepEqual(alice.options.get("port"), ["22"]);
            assert.deepEqual(alice.options.get("hostkeyalias"), [aliceId]);
            assert.deepEqual(alice.options.get("proxycommand"), [
                `${process.execPath} ${launcher} proxy --instance-id ${aliceId} --region eu-west-1 --port 22 --name alice`,
            ]);
            const bob = sshG(configPath, "bob");
            assert.deepEqual(bob.options.get("user"), ["ubuntu"]);
            assert.deepEqual(bob.options.get("port"), ["2222"]);
            assert.deepEqual(bob.options.get("proxycommand"), [
                `${process.execPath} ${launcher} proxy --instance-id ${bobId} --region us-east-2 --port 2222 --name bob`,
            ]);
            // Any other host: untouched by the block (no ProxyCommand of "devbox *", no User, no broken Port).
            const other = sshG(configPath, "git.example.com");
            assert.equal(other.code, 0, other.stderr);
            assert.equal(other.options.get("proxycommand"), undefined);
            assert.deepEqual(other.options.get("port"), ["22"]);
            assert.notDeepEqual(other.options.get("user"), ["ubuntu"]);
            assert.equal(existsSync(mark), false, "no Match exec ran");
        });

        it("a stack whose only entries are refused writes an empty block, and start names a refused box as unknown", async () => {
            pulumi.setOutputs({ instances: { "devbox *": boxOutput("devbox", { instanceId: newId(), sshPort: 22 }) } });
            const r = await runLaptop(["ssh-config"], { env });
            assert.equal(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /^Host/m);
            assert.match(r.stderr, /skipping the stack's instance "devbox \*": its name is not 1-30 lowercase letters/);
            const start = await runLaptop(["start", "devbox *"], { env });
            assert.equal(start.code, 2);
            assert.match(start.stderr, /no watched instance named "devbox \*"; the stack has: none/);
        });
    });

    describe("finding 7: a stack option among Pulumi's arguments", () => {
        const forms: string[][] = [
            ["deploy", "-s", "prod"],
            ["deploy", "-sprod"],
            ["deploy", "-ys", "prod"],
            ["deploy", "--", "--stack", "prod"],
            ["deploy", "--", "--stack=prod"],
            ["deploy", "--stack", "dev", "--", "-s", "prod"],
            ["destroy", "-s", "prod", "--yes"],
            ["destroy", "--", "--stack", "prod"],
        ];
        for (const args of forms) {
            it(`refuses \`idle-stop ${args.join(" ")}\` (exit 2, naming --stack) and runs nothing`, async () => {
                const r = await runLaptop(args, { env });
                assert.equal(r.code, 2, r.stderr);
                assert.match(r.stderr, new RegExp(`^idle-stop: ${args[0]}: ".*" would pick Pulumi's stack .*\`idle-stop ${args[0]} --stack NAME\``));
                assert.deepEqual(pulumi.invocations(), [], "pulumi never ran");
            });
        }

        it("still passes other arguments through, and --stack before them is its own", async () => {
            const r = await runLaptop(["deploy", "--stack", "dev", "--yes", "--", "--skip-preview", "-m", "msg"], { env });
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(
                pulumi.invocations().map((c) => c.argv),
                [
                    ["stack", "output", "--json", "--stack", "dev"],
                    ["up", "--stack", "dev", "--skip-preview", "-m", "msg", "--yes"],
                ],
            );
        });
    });

    describe("finding 9: labels from AWS reach stderr printable", () => {
        const hostileName = "\u001b]0;owned\u0007\u001b[2J\u001b[31mdevbox\u009b1m\u202efake";

        function sshThroughProxy(instanceId: string, extraProxyArgs: string[] = []): Promise<CommandResult> {
            const proxy = proxyCommand(["--instance-id", instanceId, "--region", "eu-west-1", "--port", String(sshd().port), ...extraProxyArgs]);
            return sshd().runClient(
                "ssh",
                [...sshd().clientOptions(), "-o", `ProxyCommand=${proxy}`, "root@127.0.0.1", "echo relayed"],
                undefined,
                60000,
                {
                    env,
                },
            );
        }

        it("the Name tag of a box the proxy starts is shown with its control characters as '?'", async () => {
            const id = newId();
            ec2.addInstance({ id, state: "stopped", name: hostileName });
            const r = await sshThroughProxy(id);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "relayed\n");
            assert.doesNotMatch(r.stderr, controlCharacters, JSON.stringify(r.stderr));
            assert.match(r.stderr, /idle-stop: \?\]0;owned\?\?\[2J\?\[31mdevbox\?1m\?fake is stopped; starting it \.\.\./);
        });

        it("and in the one-line error for a terminated box", async () => {
            const id = newId();
            ec2.addInstance({ id, state: "terminated", name: hostileName });
            const r = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1"], { env });
            assert.equal(r.code, 1);
            assert.doesNotMatch(r.stderr, controlCharacters, JSON.stringify(r.stderr));
            assert.match(r.stderr, /devbox.* is terminated; it cannot be started again\n$/);
        });

        it("an address from EC2 that is not a host name or IP address is never dialled", async () => {
            const id = newId();
            const instance = ec2.addInstance({ id, state: "running", privateIp: "127.0.0.1" });
            instance.publicIp = "-oProxyCommand=sh 1";
            const r = await sshThroughProxy(id, ["--timeout", "20"]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "relayed\n", "the private address (the loopback sshd) was used");
        });
    });

    describe("finding 10: the backup and the temporary file never write through a planted link", () => {
        it("replaces a symbolic link at the backup's path and at the old temporary names; the files they point to stay unchanged", async () => {
            const sshDir = path.join(home, ".ssh");
            mkdirSync(sshDir, { mode: 0o700 });
            const configPath = path.join(sshDir, "config");
            const previous = "Host git\n    HostName git.example.com\n";
            writeFileSync(configPath, previous, { mode: 0o600 });
            const victim = path.join(home, "victim");
            writeFileSync(victim, "the test's own file\n", { mode: 0o644 });
            symlinkSync(victim, `${configPath}.idle-stop.bak`);
            // Today's name was `.config.idle-stop-<pid>`: plant a link for every pid the run may get.
            const lastPid = Number(readFileSync("/proc/sys/kernel/ns_last_pid", "utf8"));
            for (let pid = lastPid + 1; pid <= lastPid + 3000; pid++) symlinkSync(victim, path.join(sshDir, `.config.idle-stop-${pid}`));
            pulumi.setOutputs({ instances: { alice: boxOutput("alice", { instanceId: aliceId, sshPort: 22 }) } });

            const r = await runLaptop(["ssh-config", "--write"], { env });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(readFileSync(victim, "utf8"), "the test's own file\n", "the linked file is unchanged");
            assert.equal(statSync(victim).mode & 0o777, 0o644);
            const backup = `${configPath}.idle-stop.bak`;
            assert.ok(lstatSync(backup).isFile(), "the backup is a file of its own now, not the link");
            assert.equal(readFileSync(backup, "utf8"), previous);
            assert.equal(statSync(backup).mode & 0o777, 0o600);
            assert.ok(lstatSync(configPath).isFile());
            assert.match(readFileSync(configPath, "utf8"), /^Host git\n.*\n\n# BEGIN idle-stop ssh-config/s);
            assert.equal(statSync(configPath).mode & 0o777, 0o600);
        });
    });

    describe("finding 11: names that an object's prototype answers to", () => {
        it("deploy: a box named constructor gets its own address; one named __proto__ is refused", async () => {
            const [ctor, proto, carol] = [newId(), newId(), newId()];
            ec2.addInstance({ id: ctor, state: "running" });
            ec2.addInstance({ id: proto, state: "running" });
            // carol's addresses from EC2 are not addresses: her stored one is kept.
            const carolInstance = ec2.addInstance({ id: carol, state: "running", privateIp: "10.0.0.17 -oProxyCommand=sh" });
            carolInstance.publicIp = "127.0.0.1 -oProxyCommand=sh";
            const port = sshd().port;
            const instances: Record<string, unknown> = {
                constructor: boxOutput("constructor", { instanceId: ctor, sshPort: port, sshHost: "127.0.0.1" }),
                carol: boxOutput("carol", { instanceId: carol, sshPort: port, sshHost: "198.51.100.9" }),
            };
            // An own "__proto__" key, as JSON.parse makes it (an object literal would set the prototype).
            Object.defineProperty(instances, "__proto__", {
                value: boxOutput("proto", { instanceId: proto, sshPort: port, sshHost: "127.0.0.1" }),
                enumerable: true,
            });
            pulumi.setOutputs({ instances });
            const r = await runLaptop(["deploy", "--stack", "dev"], { env });
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /idle-stop: skipping the stack's instance "__proto__": its name is not 1-30 lowercase letters/);
            const calls = pulumi.invocations();
            assert.deepEqual(
                calls.map((c) => c.argv),
                [
                    ["stack", "output", "--json", "--stack", "dev"],
                    ["up", "--stack", "dev"],
                ],
                "every address as stored: no targeted update",
            );
            assert.deepEqual(calls[1].hosts, { constructor: "127.0.0.1", carol: "198.51.100.9" });
        });

        it("start and stop find a box named constructor, and only it", async () => {
            const ctor = newId();
            ec2.addInstance({ id: ctor, state: "running" });
            pulumi.setOutputs({ instances: { constructor: boxOutput("constructor", { instanceId: ctor, sshPort: 22 }) } });
            const stop = await runLaptop(["stop", "constructor"], { env });
            assert.equal(stop.code, 0, stop.stderr);
            assert.equal(ec2.calls("StopInstances", ctor).length, 1);
            const unknown = await runLaptop(["stop", "toString"], { env });
            assert.equal(unknown.code, 2);
            assert.match(unknown.stderr, /no watched instance named "toString"; the stack has: constructor/);
        });
    });
});
