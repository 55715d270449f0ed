/**
 * The package as `pulumi package add` and other languages' programs start it: Pulumi's run-plugin
 * (the Node.js language host's launcher for plugins) run on this repository from another
 * directory, with TypeScript compiled on the fly. The test then asks the running plugin over gRPC,
 * as the engine does, for its schema and version.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { GetSchemaRequest, GetSchemaResponse } from "@pulumi/pulumi/proto/provider_pb";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { schemaFile } from "../../provider/schema-file";

const repoRoot = path.resolve(__dirname, "..", "..");
const runPlugin = path.join(repoRoot, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");

/** Starts the plugin and resolves with the port it announces on stdout (its first line). */
function startPlugin(cwd: string, stderr: string[]): { child: ChildProcess; port: Promise<number> } {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PULUMI_") && key !== "TS_NODE_TRANSPILE_ONLY"));
    const child = spawn(process.execPath, [runPlugin, repoRoot], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const port = new Promise<number>((resolve, reject) => {
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const line = /^(\d+)\n/.exec(stdout);
            if (line) resolve(Number(line[1]));
        });
        child.on("exit", (code, signal) =>
            reject(new Error(`the plugin exited (${code ?? signal}) before announcing a port; stdout: ${stdout}; stderr: ${stderr.join("")}`)),
        );
    });
    return { child, port };
}

function unary<T>(call: (callback: (err: grpc.ServiceError | null, response: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => call((err, response) => (err ? reject(err) : resolve(response))));
}

describe("the idle-stop plugin started as Pulumi starts it", function () {
    // run-plugin type-checks the TypeScript sources with ts-node before serving (a minute here).
    this.timeout(600_000);
    let cwd: string;
    let child: ChildProcess | undefined;
    let client: ResourceProviderClient | undefined;
    const stderr: string[] = [];

    before(async () => {
        cwd = fs.mkdtempSync(path.join(os.tmpdir(), "idle-stop-consumer-"));
        const started = startPlugin(cwd, stderr);
        child = started.child;
        const port = await started.port;
        client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(async () => {
        client?.close();
        if (child?.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child!.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
        }
        fs.rmSync(cwd, { recursive: true, force: true });
    });

    it("serves the committed schema", async () => {
        const response = await unary<GetSchemaResponse>((callback) => client!.getSchema(new GetSchemaRequest(), callback));
        assert.deepEqual(
            JSON.parse(response.getSchema()),
            JSON.parse(fs.readFileSync(schemaFile, "utf8")),
            `the running plugin's schema differs from schema.json; stderr: ${stderr.join("")}`,
        );
    });

    it("reports the package.json version", async () => {
        const info = await unary<PluginInfo>((callback) => client!.getPluginInfo(new Empty(), callback));
        const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
        assert.equal(info.getVersion(), manifest.version);
    });
});
