// The built single file (npm run build -> agent/dist/idle-stop-agent.js) runs with plain node
// outside the repository: no node_modules, no ts-node.
import * as assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runAgent, tempDir, writeConfig } from "../support/agent";
import { clientEnv, startCloudWatchEndpoint } from "../support/cloudwatch-endpoint";

describe("the bundled agent (agent/dist/idle-stop-agent.js)", function () {
    this.timeout(60000);
    const dist = join(REPO, "agent", "dist", "idle-stop-agent.js");
    let copy = "";
    let dir = "";

    before(() => {
        assert.ok(existsSync(dist), `${dist} is missing: run npm run build first`);
        dir = tempDir("idle-stop-bundle-"); // under /tmp: no node_modules anywhere above it
        copy = join(dir, "idle-stop-agent.js");
        copyFileSync(dist, copy);
    });

    it("is one self-contained file with a node shebang", () => {
        const text = readFileSync(copy, "utf8");
        assert.ok(text.startsWith("#!/usr/bin/env node\n"));
        const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        const external = requires.filter(
            (r) =>
                !r.startsWith("node:") &&
                !/^(fs|path|os|crypto|http|https|http2|net|tls|stream|zlib|url|util|events|buffer|child_process|process|dns|async_hooks|perf_hooks|querystring|string_decoder|timers|worker_threads|assert|constants|v8|vm|readline|tty)(\/.*)?$/.test(
                    r,
                ),
        );
        // "@aws-sdk/signature-v4-crt" only appears inside an SDK error message text, not as a real require.
        const optional = new Set(["@aws-sdk/signature-v4-crt"]);
        assert.deepEqual(
            [...new Set(external)].filter((r) => !optional.has(r)),
            [],
            "only node built-ins are required",
        );
    });

    it("runs sessions --json with plain node outside the repo", async () => {
        const r = await runAgent(["sessions", "--json"], { script: copy, cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
        assert.equal(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout) as { count: number; sessions: unknown[] };
        assert.equal(j.count, j.sessions.length);
    });

    it("runs once against the endpoint, without the SDK's node version warning", async () => {
        const cw = await startCloudWatchEndpoint();
        try {
            const cfg = writeConfig({ instanceId: "i-0123456789abcdef0", region: "eu-west-1" });
            const env = clientEnv(cw.url, { PATH: process.env.PATH ?? "/usr/bin:/bin" });
            delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
            delete env.NODE_OPTIONS;
            const r = await runAgent(["once", "--config", cfg.path], { script: copy, cwd: dir, env });
            assert.equal(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning|node version|Warning/i);
            for (const line of r.stderr.trim().split("\n")) assert.match(line, /^level=\w+ event=\w+/, "one logfmt line per event");
            const pts = cw.datapoints().filter((p) => p.metricName === "ActiveSessions");
            assert.equal(pts.length, 1);
            assert.equal(cw.datapoints().filter((p) => p.metricName === "ConnectedSessions").length, 1, "ConnectedSessions in the same run");
            assert.equal(pts[0].namespace, "IdleStop");
            assert.ok(cw.requests[0].signature.valid);
        } finally {
            await cw.close();
        }
    });
});
