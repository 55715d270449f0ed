// `idle-stop proxy` as a real ssh ProxyCommand: a real `ssh` client, the loopback sshd fixture as
// the box (the fake instance's address is 127.0.0.1, the port the fixture's), and a local EC2
// endpoint whose instances start and stop in seconds.
import { strict as assert } from "assert";
import { createHash, randomBytes } from "node:crypto";
import * as net from "node:net";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { shellQuote } from "../../common/shell-quote";
import { buildLaptopCommand, launcher, proxyCommand, runLaptop } from "../support/laptop";
import { CommandResult, useSshd } from "../support/sshd";

let counter = 0;
function newId(): string {
    counter += 1;
    return `i-0${String(counter).padStart(16, "0")}`;
}

describe("idle-stop proxy (real ssh, local EC2 endpoint, loopback sshd)", function () {
    this.timeout(90000);
    const sshd = useSshd();
    let ec2: Ec2Endpoint;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        buildLaptopCommand();
        ec2 = await startEc2Endpoint();
        env = clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url });
    });
    after(async () => {
        await ec2?.close();
    });

    function sshThroughProxy(
        instanceId: string,
        command: string,
        input?: string | Buffer,
        extraProxyArgs = ["--name", "devbox"],
    ): Promise<CommandResult> {
        const proxy = proxyCommand(["--instance-id", instanceId, "--region", "eu-west-1", "--port", String(sshd().port), ...extraProxyArgs]);
        const args = [...sshd().clientOptions(), "-o", `ProxyCommand=${proxy}`, "root@127.0.0.1", command];
        return sshd().runClient("ssh", args, input, 60000, { env });
    }

    it("relays to a running box without starting it; stdout carries only the remote output", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "running", name: "devbox" });
        const r = await sshThroughProxy(id, "echo proxied-$((6*7))");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "proxied-42\n");
        assert.equal(ec2.calls("StartInstances").length, 0);
        assert.ok(ec2.calls("DescribeInstances", id).length >= 1);
        assert.doesNotMatch(r.stderr, /idle-stop/, "nothing to report for a running box");
        assert.ok(
            ec2.log.every((c) => c.signatureValid),
            "every EC2 request SigV4-signed",
        );
    });

    it("starts a stopped box exactly once, reads its new address, and reports progress on stderr only", async () => {
        const id = newId();
        const instance = ec2.addInstance({ id, state: "stopped", name: "devbox" });
        assert.equal(instance.publicIp, undefined, "a stopped instance has no public address");
        const r = await sshThroughProxy(id, "echo proxied-$((6*7))");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "proxied-42\n", "progress must never reach the SSH stream");
        assert.equal(ec2.calls("StartInstances", id).length, 1, "exactly one StartInstances");
        assert.match(r.stderr, /idle-stop: devbox is stopped; starting it \.\.\./);
        assert.match(r.stderr, /idle-stop: devbox is up \(\d+ s\)/);
        assert.equal(ec2.instance(id)!.state, "running");
    });

    it("waits out 'stopping', then starts the box once", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "stopping", untilDescribed: true });
        const r = await sshThroughProxy(id, "echo after-stopping", undefined, []);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "after-stopping\n");
        const starts = ec2.calls("StartInstances", id);
        assert.equal(starts.length, 1);
        assert.equal(
            ec2.log.filter((c) => c.action === "StartInstances" && c.errorCode === "IncorrectInstanceState").length,
            0,
            "never asks to start a stopping instance",
        );
        assert.match(r.stderr, new RegExp(`${id} is stopping; it will be started once it has stopped`));
        assert.match(r.stderr, new RegExp(`${id} is stopped; starting it`), "without a Name tag or --name the id names the box");
    });

    it("waits for a pending box without starting it", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "pending" });
        const r = await sshThroughProxy(id, "echo pending-ok");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "pending-ok\n");
        assert.equal(ec2.calls("StartInstances", id).length, 0);
    });

    it("on a box that was just started, retries a port that accepts and drops connections until sshd greets", async () => {
        const id = newId();
        // Pending until the proxy, however slowly it starts (parallel tests), has seen it pending:
        // only a box it saw starting gets its banner awaited.
        ec2.addInstance({ id, state: "pending", untilDescribed: true });
        // A booting box: the first connections are accepted and closed at once, then sshd answers.
        let dropped = 0;
        const flaky = net.createServer((client) => {
            if (dropped < 2) {
                dropped++;
                client.destroy();
                return;
            }
            const upstream = net.connect({ host: "127.0.0.1", port: sshd().port });
            client.pipe(upstream).pipe(client);
            client.on("error", () => upstream.destroy());
            upstream.on("error", () => client.destroy());
        });
        await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", () => r()));
        try {
            const port = (flaky.address() as net.AddressInfo).port;
            const proxy = proxyCommand(["--instance-id", id, "--region", "eu-west-1", "--port", String(port), "--name", "devbox"]);
            const r = await sshd().runClient(
                "ssh",
                [...sshd().clientOptions(), "-o", `ProxyCommand=${proxy}`, "root@127.0.0.1", "echo booted"],
                undefined,
                60000,
                { env },
            );
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "booted\n");
            assert.equal(dropped, 2);
            assert.match(r.stderr, new RegExp(`idle-stop: devbox is running; waiting for SSH on 127\\.0\\.0\\.1:${port}`));
        } finally {
            flaky.close();
        }
    });

    it("--address picks the private or public address; auto falls back to the private one", async () => {
        ec2.publicAddress = ""; // no public IP, as in a private subnet
        try {
            const id = newId();
            ec2.addInstance({ id, state: "stopped", privateIp: "127.0.0.1" });
            const priv = await sshThroughProxy(id, "echo private-ok", undefined, ["--address", "private"]);
            assert.equal(priv.code, 0, priv.stderr);
            assert.equal(priv.stdout, "private-ok\n");
            const auto = await sshThroughProxy(id, "echo auto-ok");
            assert.equal(auto.code, 0, auto.stderr);
            assert.equal(auto.stdout, "auto-ok\n");
            const pub = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1", "--address", "public"], { env });
            assert.equal(pub.code, 1);
            assert.equal(pub.stderr, `idle-stop: ${id} has no public address\n`);
            assert.equal(ec2.calls("StartInstances", id).length, 1);
        } finally {
            ec2.publicAddress = "127.0.0.1";
        }
    });

    it("carries large binary streams both ways intact", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "running" });
        const data = randomBytes(4 * 1024 * 1024);
        const r = await sshThroughProxy(id, "sha256sum | cut -d' ' -f1; head -c 3000000 /dev/zero | sha256sum | cut -d' ' -f1", data);
        assert.equal(r.code, 0, r.stderr);
        const zeros = createHash("sha256").update(Buffer.alloc(3000000)).digest("hex");
        assert.equal(r.stdout, `${createHash("sha256").update(data).digest("hex")}\n${zeros}\n`);
    });

    it("fails with one clear line for a terminated instance (ssh shows it)", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "terminated", name: "devbox" });
        const r = await sshThroughProxy(id, "true");
        assert.equal(r.code, 255);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, new RegExp(`idle-stop: devbox \\(${id}\\) is terminated; it cannot be started again`));
        assert.equal(ec2.calls("StartInstances", id).length, 0);
    });

    it("names the missing permission when StartInstances is denied", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "stopped" });
        ec2.deny("StartInstances");
        try {
            const r = await sshThroughProxy(id, "true");
            assert.equal(r.code, 255);
            assert.match(
                r.stderr,
                new RegExp(
                    `idle-stop: missing permission ec2:StartInstances on ${id} in eu-west-1: your AWS identity is not allowed to call it \\(UnauthorizedOperation\\)`,
                ),
            );
            const direct = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1"], { env });
            assert.equal(direct.code, 1);
            assert.equal(direct.stdout, "");
            const lines = direct.stderr.trim().split("\n");
            assert.match(lines[lines.length - 1], /^idle-stop: missing permission ec2:StartInstances/);
            assert.ok(lines.length <= 2, `progress line + one error line, got:\n${direct.stderr}`);
        } finally {
            ec2.allowAll();
        }
    });

    it("exits 1 with one line for an unknown instance, no credentials, and a port that never opens", async () => {
        const unknown = await runLaptop(["proxy", "--instance-id", "i-0fffffffffffffff0", "--region", "eu-west-1"], { env });
        assert.equal(unknown.code, 1);
        assert.equal(
            unknown.stderr,
            "idle-stop: no instance i-0fffffffffffffff0 in eu-west-1 (InvalidInstanceID.NotFound); check the instance id and the region\n",
        );

        const noCreds = { ...env };
        delete noCreds.AWS_ACCESS_KEY_ID;
        delete noCreds.AWS_SECRET_ACCESS_KEY;
        const nc = await runLaptop(["proxy", "--instance-id", "i-0fffffffffffffff0", "--region", "eu-west-1"], { env: noCreds });
        assert.equal(nc.code, 1);
        assert.match(nc.stderr, /^idle-stop: no AWS credentials: set AWS_PROFILE/);
        assert.equal(nc.stderr.split("\n").length, 2);

        const id = newId();
        ec2.addInstance({ id, state: "running" });
        const closed = await new Promise<number>((resolve) => {
            const srv = net.createServer().listen(0, "127.0.0.1", () => {
                const port = (srv.address() as net.AddressInfo).port;
                srv.close(() => resolve(port));
            });
        });
        const t = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1", "--port", String(closed), "--timeout", "3"], { env });
        assert.equal(t.code, 1);
        assert.match(
            t.stderr,
            new RegExp(`idle-stop: timed out: ${id} runs but 127\\.0\\.0\\.1:${closed} does not accept connections \\(ECONNREFUSED\\)\\n$`),
        );
    });

    it("gives up with one line when the box does not come up in --timeout", async () => {
        ec2.pendingMs = 30000;
        try {
            const id = newId();
            ec2.addInstance({ id, state: "stopped", name: "slowbox" });
            const r = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1", "--timeout", "2"], { env });
            assert.equal(r.code, 1);
            assert.equal(r.stdout, "");
            assert.match(
                r.stderr,
                new RegExp(`^idle-stop: slowbox is stopped; starting it \\.\\.\\.\\nidle-stop: timed out: slowbox \\(${id}\\) is still pending\\n$`),
            );
            assert.equal(ec2.calls("StartInstances", id).length, 1);
        } finally {
            ec2.pendingMs = 1500;
        }
    });

    it("on a terminal, one progress line counts the seconds; an error starts on a line of its own", async () => {
        ec2.pendingMs = 30000;
        try {
            const id = newId();
            ec2.addInstance({ id, state: "stopped", name: "slowbox" });
            // util-linux `script` gives the command a pseudo-terminal, as ssh's stderr is when a person types `ssh devbox`.
            const command = [process.execPath, launcher, "proxy", "--instance-id", id, "--region", "eu-west-1", "--timeout", "5"]
                .map(shellQuote)
                .join(" ");
            const r = await sshd().runClient("script", ["-qfec", command, "/dev/null"], undefined, 30000, { env });
            assert.equal(r.code, 1, r.stdout);
            assert.match(r.stdout, /\r\x1b\[Kidle-stop: slowbox is stopped; starting it \.\.\. [01] s/);
            assert.match(r.stdout, /\r\x1b\[Kidle-stop: slowbox is stopped; starting it \.\.\. 2 s/);
            assert.match(r.stdout, new RegExp(`s\\r?\\nidle-stop: timed out: slowbox \\(${id}\\) is still pending\\r?\\n$`));
        } finally {
            ec2.pendingMs = 1500;
        }
    });

    it("half-closes: the server's answer after our EOF still arrives", async () => {
        const id = newId();
        ec2.addInstance({ id, state: "running" });
        // A server that reads until the client's FIN, then answers with what it got, then closes.
        const server = net.createServer({ allowHalfOpen: true }, (sock) => {
            let n = 0;
            sock.on("data", (d: Buffer) => (n += d.length));
            sock.on("end", () => sock.end(`got ${n} bytes\n`));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const port = (server.address() as net.AddressInfo).port;
            const r = await runLaptop(["proxy", "--instance-id", id, "--region", "eu-west-1", "--port", String(port)], {
                env,
                input: Buffer.alloc(100000, 7),
            });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "got 100000 bytes\n");
        } finally {
            server.close();
        }
    });

    it("rejects bad usage with exit 2 and has help", async () => {
        const bad = await runLaptop(["proxy", "--instance-id", "i-123"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--instance-id "i-123": expected i- and 8 or 17 hex digits/);
        assert.equal((await runLaptop(["proxy", "--address", "ipv6", "--instance-id", "i-12345678"])).code, 2);
        const help = await runLaptop(["proxy", "--help"]);
        assert.equal(help.code, 0);
        assert.match(help.stdout, /^usage: idle-stop proxy --instance-id ID \[--region R\] \[--port 22\] \[--address auto\|public\|private\]/);
        for (const command of ["ssh-config", "status", "start", "stop", "deploy", "destroy"]) {
            const h = await runLaptop([command, "--help"]);
            assert.equal(h.code, 0, command);
            assert.match(h.stdout, new RegExp(`^usage: idle-stop ${command}`));
        }
        const none = await runLaptop([]);
        assert.equal(none.code, 2);
        assert.match(none.stderr, /^usage: idle-stop COMMAND/);
    });
});
