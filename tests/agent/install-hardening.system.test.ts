// install.sh / uninstall.sh against what the review found: a failed upgrade that made the old
// release's uninstall a no-op, root following links the agent's user planted (holds/, the log,
// the pid file), an sshd drop-in that an earlier one overrides, a plain-http Node.js mirror, and
// /proc mounted with hidepid. Runs the installer for real as root on this machine (global paths:
// run under the system tier's lock (/tmp/idle-stop-system-tests.lock, tests/run-tiers.mjs)); every test starts and ends without an install.
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchEndpoint, startCloudWatchEndpoint, TEST_CREDENTIALS } from "../support/cloudwatch-endpoint";
import { assertNoInstallation, boxTempDir, buildPayload, forceUninstall, getent, INSTALL_PATHS, describePath, sh, shAsync } from "../rehearsal/box";

const CREDENTIALS = `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`;
const R1 = "h1a2b3c4d5e6";
const R2 = "h2f6e5d4c3b2";
const STATE = "/var/lib/idle-stop";

function config(extra: Record<string, unknown> = {}, drop: string[] = []): string {
    const c: Record<string, unknown> = {
        instanceId: "i-0123456789abcdef0",
        region: TEST_CREDENTIALS.region,
        sampleSeconds: 1,
        publishSeconds: 2,
        idleMinutes: 15,
        ...extra,
    };
    for (const k of drop) delete c[k];
    return Buffer.from(JSON.stringify(c), "utf8").toString("base64");
}

describe("installer hardening (install.sh / uninstall.sh as root)", function () {
    this.timeout(180000);
    let payload = "";
    let cw: CloudWatchEndpoint;
    const cleanups: Array<() => void> = [];

    before(async function () {
        if (process.getuid?.() !== 0) throw new Error("the installer tests run as root");
        assertNoInstallation();
        payload = buildPayload();
        cw = await startCloudWatchEndpoint();
    });
    beforeEach(() => {
        // The agent publishes to the local endpoint only (the installer keeps /etc/idle-stop/environment).
        mkdirSync("/etc/idle-stop", { recursive: true });
        writeFileSync("/etc/idle-stop/environment", `AWS_ENDPOINT_URL_CLOUDWATCH=${cw.url}\nAWS_EC2_METADATA_DISABLED=true\n`);
    });
    afterEach(() => {
        forceUninstall();
        rmSync("/etc/idle-stop", { recursive: true, force: true });
        while (cleanups.length) cleanups.pop()?.();
    });
    after(async () => {
        await cw.close();
    });

    function install(release: string, args = "", cfg = config()): Promise<{ code: number | null; stdout: string; stderr: string }> {
        return shAsync(`sh ${join(payload, "install.sh")} --release ${release} --config-b64 ${cfg} --credentials-stdin ${args}`, CREDENTIALS);
    }
    function asAgent(cmd: string): { code: number | null; stderr: string } {
        return sh(`runuser -u idle-stop -- sh -c '${cmd}'`);
    }

    it("a failed upgrade keeps the old release recorded, so the old release's uninstall still removes everything", async () => {
        const ok = await install(R1);
        assert.equal(ok.code, 0, ok.stderr);
        // The upgrade fails late: the new config cannot publish, so the daemon does not stay up.
        const failed = await install(R2, "", config({}, ["instanceId"]));
        assert.equal(failed.code, 1, failed.stderr);
        assert.match(failed.stderr, /the agent did not stay running/);
        assert.equal(readFileSync("/opt/idle-stop/RELEASE", "utf8").trim(), R1, "the failed release is not recorded");

        // `pulumi destroy` runs the old release's delete: it must remove everything.
        const del = sh(`sh /opt/idle-stop/uninstall.sh --release ${R1}`);
        assert.equal(del.code, 0, del.stderr);
        assert.doesNotMatch(del.stderr, /leaving the newer installation alone/);
        assert.equal(getent("passwd", "idle-stop"), undefined);
        for (const p of ["/opt/idle-stop", STATE, "/usr/local/bin/idle-stop"]) assert.ok(!existsSync(p), `${p} left behind`);
    });

    it("root never prints a log the agent's user linked to another file", async () => {
        assert.equal((await install(R1)).code, 0);
        const secret = join(boxTempDir("idle-stop-secret-"), "secret");
        writeFileSync(secret, "TOPSECRET-4711\n", { mode: 0o600 });
        assert.equal(asAgent(`ln -sfn ${secret} ${STATE}/agent.log`).code, 0);
        const failed = await install(R2, "", config({}, ["instanceId"])); // shows the log's tail
        assert.equal(failed.code, 1, failed.stderr);
        assert.match(failed.stderr, /the agent did not stay running/);
        assert.doesNotMatch(failed.stderr + failed.stdout, /TOPSECRET/, "root printed a file the agent's user linked");
    });

    it("root never follows a link the agent's user put in place of holds/", async () => {
        assert.equal((await install(R1)).code, 0);
        const target = boxTempDir("idle-stop-target-"); // 0755: must stay so
        // The agent's user cannot swap holds/ any more.
        const swap = asAgent(`mv ${STATE}/holds ${STATE}/holds.old && ln -s ${target} ${STATE}/holds`);
        assert.notEqual(swap.code, 0, "the agent's user replaced holds/");
        // An older installation let it: plant that link (as the agent's user could) and redeploy.
        sh(`rm -rf ${STATE}/holds && ln -s ${target} ${STATE}/holds && chown -h idle-stop:idle-stop ${STATE}/holds`);
        const again = await install(R1);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((statSync(target).mode & 0o7777).toString(8), "755", "root chmod-ed the link's target");
        const holds = lstatSync(`${STATE}/holds`);
        assert.ok(holds.isDirectory() && !holds.isSymbolicLink());
        assert.equal(holds.uid, 0);
        assert.match(again.stderr, /holds was not a directory .*replaced it/);
    });

    it("root never signals a pid the agent's pid file names unless it is the agent", async () => {
        assert.equal((await install(R1)).code, 0);
        // A process of another user that merely mentions the bundle, named in the pid file.
        // (`; :` keeps sh from exec-ing sleep, which would drop the bundle from the command line.)
        const victim: ChildProcess = spawn("sh", ["-c", "sleep 60; :", "/opt/idle-stop/idle-stop-agent.js", "run"], {
            uid: 65534,
            gid: 65534,
            stdio: "ignore",
            detached: true,
        });
        cleanups.push(() => {
            try {
                process.kill(-(victim.pid as number), "SIGKILL");
            } catch {
                /* gone */
            }
        });
        assert.match(readFileSync(`/proc/${victim.pid}/cmdline`, "utf8").replace(/\0/g, " "), /\/opt\/idle-stop\/idle-stop-agent\.js run/);
        await new Promise((r) => setTimeout(r, 300));
        writeFileSync(`${STATE}/agent.pid`, `${victim.pid}\n`);
        sh(`chown idle-stop ${STATE}/agent.pid`);
        const del = sh("sh /opt/idle-stop/uninstall.sh");
        assert.equal(del.code, 0, del.stderr);
        await new Promise((r) => setTimeout(r, 1000)); // let node reap the victim if it died
        assert.equal(victim.signalCode, null, "the uninstaller killed another user's process");
        assert.equal(victim.exitCode, null);
        assert.doesNotMatch(readFileSync(`/proc/${victim.pid}/stat`, "utf8"), /^\d+ \(\S+\) Z/, "not a zombie either");
    });

    it("warns when an earlier sshd setting overrides the ClientAlive drop-in (checked with sshd -T)", async () => {
        const earlier = "/etc/ssh/sshd_config.d/10-idle-stop-test.conf";
        assert.ok(!existsSync(earlier));
        writeFileSync(earlier, "ClientAliveInterval 999\n");
        cleanups.push(() => rmSync(earlier, { force: true }));
        const r = await install(R1, "--client-alive-interval 30 --client-alive-count-max 4");
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stderr,
            /warning: \/etc\/ssh\/sshd_config\.d\/60-idle-stop\.conf has no effect: sshd uses ClientAliveInterval 999 and ClientAliveCountMax 4 .*10-idle-stop-test\.conf/,
        );
        rmSync(earlier);
        const clean = await install(R1, "--client-alive-interval 30 --client-alive-count-max 4");
        assert.equal(clean.code, 0, clean.stderr);
        assert.doesNotMatch(clean.stderr, /has no effect/, "no warning when the drop-in is what sshd uses");
    });

    it("refuses a plain-http Node.js mirror (only https, or http on loopback)", async () => {
        const before = INSTALL_PATHS.map(describePath);
        for (const url of ["http://mirror.example.com/dist", "ftp://mirror/dist", "http://127.0.0.1.example.com/dist"]) {
            const r = await install(R1, `--node-dist-url ${url}`);
            assert.equal(r.code, 2, `${url}: ${r.stderr}`);
            assert.match(r.stderr, /--node-dist-url must be an https:\/\/ URL/);
        }
        assert.deepEqual(INSTALL_PATHS.map(describePath), before, "nothing changed");
    });

    describe("/proc mounted with hidepid (a private mount namespace)", () => {
        const group = "idle-stop-test-proc";
        function installUnderHidepid(opts: string, after = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
            const script = `set -eu; mount -t proc -o ${opts} proc /proc; sh ${join(payload, "install.sh")} --release ${R1} --config-b64 ${config()} --credentials-stdin; ${after}`;
            return shAsync(`unshare --mount --propagation private sh -c '${script}'`, CREDENTIALS);
        }

        it("stops before changing anything and says how to fix it when the mount has no gid=", async () => {
            const r = await installUnderHidepid("hidepid=2");
            assert.equal(r.code, 1, r.stderr);
            assert.match(
                r.stderr,
                /\/proc is mounted with hidepid=(2|invisible): the agent \(user idle-stop\) could not see other users' SSH sessions.*gid=/,
            );
            assert.ok(!existsSync("/opt/idle-stop") && getent("passwd", "idle-stop") === undefined, "nothing installed");
        });

        it("adds the agent's user to the gid= group, so it counts everyone's sessions", async () => {
            assert.equal(sh(`groupadd --system ${group}`).code, 0);
            cleanups.push(() => sh(`groupdel ${group}`));
            const gid = (getent("group", group) ?? "").split(":")[2];
            const r = await installUnderHidepid(
                `hidepid=2,gid=${gid}`,
                "runuser -u idle-stop -- /usr/local/bin/idle-stop sessions --json; echo sessions-exit=$? >&2",
            );
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, new RegExp(`added idle-stop to group ${group}`));
            assert.match(r.stderr, /sessions-exit=0/);
            assert.match(r.stdout, /^\{"count":\d+/m);
            assert.ok(readFileSync("/opt/idle-stop/manifest", "utf8").split("\n").includes(`member idle-stop ${group}`));
        });
    });
});
