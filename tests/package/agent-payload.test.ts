/**
 * A copy of the package that never ran `npm run build` (what `pulumi package add` checks out) builds
 * the agent payload on first use, with the real build script, atomically even when two plugin
 * processes start at once.
 */
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureAgentPayload, payloadComplete, requiredPayloadFiles } from "../../components/agent-payload";
import { payloadHash } from "../../components/agent-push";

const repoRoot = path.resolve(__dirname, "..", "..");
const buildScript = path.join(repoRoot, "agent", "build.mjs");

function leftovers(parent: string): string[] {
    return fs.readdirSync(parent).filter((entry) => entry !== "dist");
}

/** ensureAgentPayload in a process of its own, as each plugin process would call it. */
function ensureInChild(payloadDir: string): Promise<number | null> {
    const code = `require(${JSON.stringify(path.join(repoRoot, "components", "agent-payload.ts"))}).ensureAgentPayload(${JSON.stringify(payloadDir)}, ${JSON.stringify(buildScript)})`;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], { cwd: repoRoot, stdio: "inherit" });
    return new Promise((resolve) => child.on("exit", resolve));
}

describe("the agent payload of an unbuilt package", function () {
    this.timeout(180_000);
    let parent: string;

    beforeEach(() => {
        parent = fs.mkdtempSync(path.join(os.tmpdir(), "idle-stop-unbuilt-"));
    });
    afterEach(() => {
        fs.rmSync(parent, { recursive: true, force: true });
    });

    it("is built on first use with agent/build.mjs, and left alone once complete", () => {
        const payloadDir = path.join(parent, "dist");
        assert.equal(ensureAgentPayload(payloadDir, buildScript), payloadDir);
        assert.ok(payloadComplete(payloadDir), `${requiredPayloadFiles.join(", ")} exist`);
        assert.deepEqual(leftovers(parent), [], "no staging directory is left behind");
        const help = execFileSync(process.execPath, [path.join(payloadDir, "idle-stop-agent.js"), "--help"], { encoding: "utf8" });
        assert.match(help, /sessions/, "the built bundle runs");
        const hash = payloadHash(payloadDir);
        const bundleTime = fs.statSync(path.join(payloadDir, "idle-stop-agent.js")).mtimeMs;
        ensureAgentPayload(payloadDir, buildScript);
        assert.equal(fs.statSync(path.join(payloadDir, "idle-stop-agent.js")).mtimeMs, bundleTime, "not rebuilt");
        assert.equal(payloadHash(payloadDir), hash);
    });

    it("ends up complete when two processes build it at the same time", async () => {
        const payloadDir = path.join(parent, "dist");
        const codes = await Promise.all([ensureInChild(payloadDir), ensureInChild(payloadDir)]);
        assert.deepEqual(codes, [0, 0]);
        assert.ok(payloadComplete(payloadDir));
        assert.deepEqual(leftovers(parent), [], "the loser's staging directory is removed");
    });

    it("reports a failed build with its output and cleans up", () => {
        const failing = path.join(parent, "build.mjs");
        fs.writeFileSync(failing, "process.stderr.write('esbuild: cannot resolve main.ts'); process.exit(1);\n");
        const payloadDir = path.join(parent, "dist");
        assert.throws(
            () => ensureAgentPayload(payloadDir, failing),
            /building the agent payload into .*dist failed: esbuild: cannot resolve main\.ts; run `npm run build`/,
        );
        assert.deepEqual(
            leftovers(parent).filter((entry) => entry !== "build.mjs"),
            [],
        );
    });

    it("builds nothing without the build script, so the push names what is missing", () => {
        const payloadDir = path.join(parent, "dist");
        assert.equal(ensureAgentPayload(payloadDir, path.join(parent, "no-build.mjs")), payloadDir);
        assert.equal(fs.existsSync(payloadDir), false);
        assert.throws(() => payloadHash(payloadDir), /lacks idle-stop-agent\.js, install\.sh, uninstall\.sh; run `npm run build` first/);
    });
});
