// The wake and sleep steps' commands, exactly as the program declares them, against the local EC2
// endpoint (Query protocol) and a loopback listener standing in for the box's SSH port.
import { strict as assert } from "assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { markerPath } from "../../components/box-power";
import { PowerTarget, sleepCommand, wakeCommand } from "../../components/box-wake";
import { clientEnv } from "../support/cloudwatch-endpoint";
import { Ec2Endpoint, startEc2Endpoint } from "../support/ec2-endpoint";
import { listenOnLoopback } from "../support/loopback";

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

describe("waking a box for Pulumi and putting it back to sleep", function () {
    this.timeout(120_000);
    const stopped = "i-0aaaaaaaaaaaaaaa1";
    const running = "i-0bbbbbbbbbbbbbbb2";
    let ec2: Ec2Endpoint;
    let sshPort: net.Server;
    let port: number;
    let tmp: string;

    beforeEach(async () => {
        ec2 = await startEc2Endpoint();
        ec2.pendingMs = 300;
        ec2.stoppingMs = 300;
        ec2.addInstance({ id: stopped, state: "stopped" });
        ec2.addInstance({ id: running, state: "running" });
        sshPort = net.createServer((socket) => socket.end());
        port = await listenOnLoopback(sshPort);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "idle-stop-wake-"));
    });
    afterEach(async () => {
        await ec2.close();
        await new Promise<void>((r) => sshPort.close(() => r()));
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const target = (instanceId: string): PowerTarget => ({ instanceId, region: "us-east-1", host: "127.0.0.1", port });

    function run(shellCommand: string, extra: Record<string, string> = {}, cwd?: string): Promise<Run> {
        return new Promise((done, fail) => {
            const child = spawn("sh", ["-c", shellCommand], {
                cwd,
                env: clientEnv(ec2.url, { AWS_ENDPOINT_URL_EC2: ec2.url, TMPDIR: tmp, IDLE_STOP_WAKE_POLL_MS: "100", ...extra }),
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
            child.on("error", fail);
            child.on("close", (code) => done({ code, stdout, stderr }));
        });
    }

    it("up: starts a stopped box, waits for its port, and the sleep step stops it again", async () => {
        const wake = await run(wakeCommand(target(stopped), false));
        assert.equal(wake.code, 0, wake.stderr);
        assert.equal(wake.stdout.trim(), "woke");
        assert.equal(ec2.instance(stopped)!.state, "running");
        assert.equal(ec2.calls("StartInstances", stopped).length, 1);

        const sleep = await run(sleepCommand(target(stopped), false), { IDLE_STOP_WOKE: wake.stdout });
        assert.equal(sleep.code, 0, sleep.stderr);
        assert.equal(ec2.calls("StopInstances", stopped).length, 1);
        assert.ok(["stopping", "stopped"].includes(ec2.instance(stopped)!.state));
    });

    it("up with --hibernate: a box launched for hibernation is hibernated again, one without it stopped plainly", async () => {
        // Both as the wake step leaves them: running, and woken by it ("woke").
        const ready = "i-0ddddddddddddddd4";
        const plain = "i-0eeeeeeeeeeeeeee5";
        ec2.addInstance({ id: ready, state: "running", hibernation: true });
        ec2.addInstance({ id: plain, state: "running" });
        const hibernating = (id: string): PowerTarget => ({ ...target(id), hibernate: true });
        const sleep = await run(`${sleepCommand(hibernating(ready), false)} && ${sleepCommand(hibernating(plain), false)}`, {
            IDLE_STOP_WOKE: "woke",
        });
        assert.equal(sleep.code, 0, sleep.stderr);
        // The configured box: one StopInstances with Hibernate=true, and EC2 hibernated it.
        assert.deepEqual(
            ec2.calls("StopInstances", ready).map((c) => c.params.Hibernate),
            ["true"],
        );
        assert.equal(ec2.instance(ready)!.hibernated, true);
        // The other: EC2 refused hibernation (UnsupportedHibernationConfiguration), so one plain stop followed.
        assert.ok(ec2.log.some((c) => c.action === "StopInstances" && c.errorCode === "UnsupportedHibernationConfiguration"));
        assert.deepEqual(
            ec2.calls("StopInstances", plain).map((c) => c.params.Hibernate),
            [undefined],
        );
        assert.ok(["stopping", "stopped"].includes(ec2.instance(plain)!.state));
        assert.notEqual(ec2.instance(plain)!.hibernated, true);
        assert.match(
            sleep.stderr,
            /i-0eeeeeeeeeeeeeee5 was woken for this run; stopping it plainly, hibernation refused \(UnsupportedHibernationConfiguration/,
        );
    });

    it("up: a running box is woken by nobody and never stopped", async () => {
        const wake = await run(wakeCommand(target(running), false));
        assert.equal(wake.code, 0, wake.stderr);
        assert.equal(wake.stdout.trim(), "awake");
        const sleep = await run(sleepCommand(target(running), false), { IDLE_STOP_WOKE: wake.stdout });
        assert.equal(sleep.code, 0, sleep.stderr);
        assert.equal(ec2.calls("StartInstances").length, 0);
        assert.equal(ec2.calls("StopInstances").length, 0);
        assert.equal(ec2.instance(running)!.state, "running");
        // Without the wake step's word (a failed or skipped wake), nothing is stopped either.
        assert.equal((await run(sleepCommand(target(running), false))).code, 0);
        assert.equal(ec2.calls("StopInstances").length, 0);
    });

    it("destroy: the marker carries 'woken' from one delete to the other; a running box keeps running", async () => {
        const wake = await run(wakeCommand(target(stopped), true));
        assert.equal(wake.code, 0, wake.stderr);
        assert.ok(fs.existsSync(markerPath(stopped, path.join(tmp, "idle-stop-woken"))), "the wake leaves a marker");
        assert.equal(ec2.instance(stopped)!.state, "running");
        const sleep = await run(sleepCommand(target(stopped), true));
        assert.equal(sleep.code, 0, sleep.stderr);
        assert.equal(ec2.calls("StopInstances", stopped).length, 1);
        assert.ok(!fs.existsSync(markerPath(stopped, path.join(tmp, "idle-stop-woken"))), "the sleep consumes it");

        assert.equal((await run(wakeCommand(target(running), true))).code, 0);
        assert.equal((await run(sleepCommand(target(running), true))).code, 0);
        assert.equal(ec2.calls("StopInstances", running).length, 0);
        assert.equal(ec2.instance(running)!.state, "running");
    });

    it("destroy: a box that no longer exists has nothing to wake; the destroy goes on", async () => {
        const gone = { ...target("i-0ccccccccccccccc3") };
        const wake = await run(wakeCommand(gone, true));
        assert.equal(wake.code, 0, wake.stderr);
        assert.equal((await run(sleepCommand(gone, true))).code, 0);
        // While at `pulumi up` the same is an error that names the instance.
        const up = await run(wakeCommand(gone, false));
        assert.notEqual(up.code, 0);
        assert.match(up.stderr, /i-0ccccccccccccccc3/);
    });

    it("destroy from another checkout: the commands recorded here run there, from its own files", async () => {
        // Another clone: its own copies of the sources the script loads, the same installed packages.
        const repo = path.resolve(__dirname, "..", "..");
        const clone = path.join(tmp, "clone");
        for (const dir of ["components", "common", path.join("laptop", "src")]) {
            fs.cpSync(path.join(repo, dir), path.join(clone, dir), { recursive: true });
        }
        for (const file of ["tsconfig.json", "package.json"]) fs.copyFileSync(path.join(repo, file), path.join(clone, file));
        fs.symlinkSync(path.join(repo, "node_modules"), path.join(clone, "node_modules"));
        const wake = await run(wakeCommand(target(stopped), true), {}, clone);
        assert.equal(wake.code, 0, wake.stderr);
        const sleep = await run(sleepCommand(target(stopped), true), {}, clone);
        assert.equal(sleep.code, 0, sleep.stderr);
        assert.equal(ec2.calls("StopInstances", stopped).length, 1, "the clone's script stopped the box it woke");
        // Where no checkout is, the same command finds nothing: it names no path of this one.
        const elsewhere = fs.mkdtempSync(path.join(tmp, "elsewhere-"));
        const lost = await run(sleepCommand(target(stopped), true), {}, elsewhere);
        assert.notEqual(lost.code, 0);
        assert.match(lost.stderr, /Cannot find module/);
    });
});
