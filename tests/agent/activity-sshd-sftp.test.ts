// In use, not just connected (docs/reference/metric.md), against the real loopback sshd: sftp
// transfers (sessions without a terminal, judged by traffic either way). sessionIdleSeconds stays 15:
// a rate-limited sftp sends in bursts (256 KiB every ~12.5 s at 160 kbit/s), and a gap between two
// bursts must not look idle. Harness: tests/support/activity-harness.ts.
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../support/agent";
import { useActivityHarness } from "../support/activity-harness";
import { sleep, waitUntil } from "../support/sshd";

const S = 15;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const { sshd, cleanup, startAgent, pidOf, useOf, waitStatus } = useActivityHarness(S);

    /** Runs one sftp batch command rate-limited to `kbits`, and checks its session counts while it is still going. */
    async function assertSftpInUse(user: string, kbits: number, command: string, removeAfter: string): Promise<void> {
        const { stateDir } = startAgent();
        const sftp = spawn(
            "sftp",
            [
                ...sshd()
                    .clientOptions()
                    .map((a) => (a === "-p" ? "-P" : a)),
                "-l",
                String(kbits),
                "-b",
                "-",
                `${user}@${sshd().host}`,
            ],
            { stdio: ["pipe", "pipe", "pipe"] },
        );
        sftp.stdin.end(`${command}\n`);
        cleanup(() => {
            sftp.kill("SIGKILL");
            execFileSync("rm", ["-f", removeAfter]);
        });
        await waitUntil(() => pidOf(user), 20000, "the sftp session");
        await sleep((S + 5) * 1000);
        assert.equal(sftp.exitCode, null, "the transfer is still running");
        const st = await waitStatus(stateDir, (x) => useOf(x, user) !== undefined, "the sftp session");
        assert.equal(useOf(st, user)?.inUse, true, JSON.stringify(st.sessionUse));
        assert.equal(st.active, 1);
    }

    it("an sftp transfer in progress is in use", async () => {
        const user = sshd().addUser();
        const file = join(tempDir(), "upload.bin");
        writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 7));
        // 160 kbit/s: the 2 MiB upload takes well over sessionIdleSeconds
        const target = `/tmp/idle-stop-sftp-${user}.bin`;
        await assertSftpInUse(user, 160, `put ${file} ${target}`, target);
    });

    it("an sftp download in progress is in use (it sends the server little, but receives a lot)", async () => {
        const user = sshd().addUser();
        const remote = `/tmp/idle-stop-sftp-get-${user}.bin`;
        writeFileSync(remote, Buffer.alloc(4 * 1024 * 1024, 9));
        // 400 kbit/s (~3 MB/min down, well under 3 KB/min of requests up): outlasts sessionIdleSeconds
        await assertSftpInUse(user, 400, `get ${remote} /dev/null`, remote);
    });
});
