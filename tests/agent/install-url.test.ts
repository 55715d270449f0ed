// install.sh's --node-dist-url check, run for real with `sh`: the bypass strings are refused before anything is downloaded, and the installer and the program accept the same mirrors.
import { strict as assert } from "assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeDownloadUrl } from "../../common/download-url";
import { acceptedUrls, bypassUrls } from "../support/download-urls";

const installer = join(__dirname, "..", "..", "agent", "install", "install.sh");

describe("install.sh --node-dist-url (finding 6)", () => {
    let dir: string;
    let marker: string;
    let env: NodeJS.ProcessEnv;

    before(() => {
        // curl and wget that only record being called: any download attempt leaves the marker.
        dir = mkdtempSync(join(tmpdir(), "idle-stop-url-"));
        marker = join(dir, "downloaded");
        for (const tool of ["curl", "wget"]) {
            writeFileSync(join(dir, tool), `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 1\n`);
            chmodSync(join(dir, tool), 0o755);
        }
        env = { PATH: `${dir}:/usr/bin:/bin`, LC_ALL: "C.UTF-8" };
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    function install(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; stderr: string } {
        const r = spawnSync("sh", [installer, "--release", "r1", "--config-b64", "e30=", ...args], {
            env: { ...env, ...extraEnv },
            encoding: "utf8",
            timeout: 30000,
        });
        return { code: r.status, stderr: r.stderr };
    }

    // A NUL cannot travel in an argument or the environment, so it is no way in here.
    for (const url of bypassUrls.filter((u) => !u.includes("\u0000"))) {
        it(`refuses ${JSON.stringify(url)} before any download (argument and NODE_DIST_URL)`, () => {
            for (const r of [install(["--node-dist-url", url]), install([], { NODE_DIST_URL: url })]) {
                assert.equal(r.code, 2, r.stderr);
                assert.match(
                    r.stderr,
                    /--node-dist-url must be an https:\/\/ URL \(plain http only for 127\.0\.0\.1\/localhost\), of letters, digits/,
                );
                assert.doesNotMatch(r.stderr, /must run as root|downloading/, "the check comes first");
                // The echo of the value is one printable line (no newline or escape reaches the log).
                assert.equal(r.stderr.trim().split("\n").length, 2, r.stderr);
            }
            assert.ok(!existsSync(marker), "nothing was downloaded");
        });
    }

    it("accepts the mirrors the program accepts, and the program refuses what it refuses", () => {
        const check = (url: string) =>
            spawnSync("sh", ["-c", `IDLE_STOP_INSTALL_LIBRARY=1; . '${installer}'; check_node_dist_url "$1"`, "sh", url], {
                env: { ...env, IDLE_STOP_INSTALL_DIR: join(installer, "..") },
                encoding: "utf8",
            });
        for (const [url, normalized] of acceptedUrls) {
            const r = check(url);
            assert.equal(r.status, 0, `${url}: ${r.stderr}`);
            assert.equal(normalizeDownloadUrl(url), normalized);
            // What the program passes on passes the installer's check too.
            assert.equal(check(normalized).status, 0, normalized);
        }
        for (const url of bypassUrls.filter((u) => !u.includes("\u0000"))) {
            assert.equal(check(url).status, 2, url);
            assert.equal(normalizeDownloadUrl(url), undefined, url);
        }
        assert.ok(!existsSync(marker), "nothing was downloaded");
    });
});
