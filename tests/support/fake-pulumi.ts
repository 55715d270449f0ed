// A stand-in `pulumi` executable for tests of the laptop command (the real CLI cannot run here):
// put first on PATH, it records each invocation (argv, cwd, IDLE_STOP_SSH_HOSTS, and whether each
// of those hosts answered with an SSH banner at that moment, as Pulumi's SSH dial would need)
// and prints canned answers: `stack output --json` -> outputs.json, `preview --json` ->
// preview.json. Exit codes per subcommand are scriptable.
//
//   const pulumi = installFakePulumi({ outputs: {...} });
//   env: { ...process.env, PATH: `${pulumi.binDir}:${process.env.PATH}` }
//   pulumi.invocations()   // [{ argv, hosts, reachable: { name: true } }, ...]
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

interface FakePulumiInvocation {
    argv: string[];
    cwd: string;
    /** IDLE_STOP_SSH_HOSTS as the program would see it. */
    hosts: Record<string, string> | null;
    /** IDLE_STOP_CONNECTION_ONLY as the program would see it. */
    connectionOnly: string | null;
    /** Per name in hosts: whether host:sshPort (from the canned outputs) answered with an SSH banner. */
    reachable: Record<string, boolean>;
    at: number;
}

export interface FakePulumi {
    readonly binDir: string;
    readonly dir: string;
    setOutputs(outputs: Record<string, unknown>): void;
    setPreview(preview: unknown): void;
    /** Exit code for a subcommand (`up`, `destroy`, `preview`, `stack`). */
    setExitCode(subcommand: string, code: number): void;
    invocations(): FakePulumiInvocation[];
    pathEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    remove(): void;
}

const script = (dir: string) => `#!${process.execPath}
"use strict";
const fs = require("fs"), net = require("net"), path = require("path");
const dir = ${JSON.stringify(dir)};
const argv = process.argv.slice(2);
const read = (f, d) => { try { return JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")); } catch { return d; } };
const outputs = read("outputs.json", {});
const codes = read("codes.json", {});
let hosts = null;
try { hosts = process.env.IDLE_STOP_SSH_HOSTS ? JSON.parse(process.env.IDLE_STOP_SSH_HOSTS) : null; } catch { hosts = "malformed"; }
function banner(host, port) {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        let buf = "";
        const done = (ok) => { s.destroy(); resolve(ok); };
        s.setTimeout(3000, () => done(false));
        s.on("data", (d) => { buf += d; if (buf.includes("SSH-2.0-")) done(true); });
        s.on("error", () => done(false));
    });
}
(async () => {
    const reachable = {};
    const sub = argv[0] === "stack" ? "stack" : argv[0];
    if (hosts && typeof hosts === "object" && (sub === "up" || sub === "destroy")) {
        for (const [name, host] of Object.entries(hosts)) {
            const port = outputs.instances && outputs.instances[name] ? outputs.instances[name].sshPort : 22;
            reachable[name] = await banner(host, port);
        }
    }
    fs.appendFileSync(path.join(dir, "log.jsonl"), JSON.stringify({ argv, cwd: process.cwd(), hosts, connectionOnly: process.env.IDLE_STOP_CONNECTION_ONLY ?? null, reachable, at: Date.now() }) + "\\n");
    if (argv[0] === "stack" && argv[1] === "output") process.stdout.write(JSON.stringify(outputs, null, 4) + "\\n");
    if (argv[0] === "preview" && argv.includes("--json")) process.stdout.write(JSON.stringify(read("preview.json", { steps: [] })) + "\\n");
    process.exit(codes[sub] ?? 0);
})();
`;

export function installFakePulumi(initial: { outputs?: Record<string, unknown>; preview?: unknown } = {}): FakePulumi {
    const dir = mkdtempSync(path.join(tmpdir(), "idle-stop-fake-pulumi-"));
    const binDir = path.join(dir, "bin");
    mkdirSync(binDir);
    const bin = path.join(binDir, "pulumi");
    writeFileSync(bin, script(dir));
    chmodSync(bin, 0o755);
    const codes: Record<string, number> = {};
    const fake: FakePulumi = {
        binDir,
        dir,
        setOutputs: (outputs) => writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs)),
        setPreview: (preview) => writeFileSync(path.join(dir, "preview.json"), JSON.stringify(preview)),
        setExitCode: (subcommand, code) => {
            codes[subcommand] = code;
            writeFileSync(path.join(dir, "codes.json"), JSON.stringify(codes));
        },
        invocations: () => {
            const log = path.join(dir, "log.jsonl");
            if (!existsSync(log)) return [];
            return readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l !== "")
                .map((l) => JSON.parse(l) as FakePulumiInvocation);
        },
        pathEnv: (base = process.env) => ({ ...base, PATH: `${binDir}${path.delimiter}${base.PATH ?? ""}` }),
        remove: () => rmSync(dir, { recursive: true, force: true }),
    };
    if (initial.outputs) fake.setOutputs(initial.outputs);
    if (initial.preview) fake.setPreview(initial.preview);
    return fake;
}

/** One entry of the stack's `instances` output, as index.ts exports it. */
export function boxOutput(
    name: string,
    fields: {
        instanceId: string;
        sshPort: number;
        adopted?: boolean;
        sshHost?: string;
        sshHostFixed?: boolean;
        sshUser?: string;
        idleMinutes?: number;
        region?: string;
    },
): Record<string, unknown> {
    const urnBase = `urn:pulumi:dev::idle-stop::idle-stop:index:IdleStop$command:remote`;
    return {
        instanceId: fields.instanceId,
        region: fields.region ?? "eu-west-1",
        adopted: fields.adopted ?? true,
        sshHost: fields.sshHost ?? "198.51.100.1",
        sshHostFixed: fields.sshHostFixed ?? false,
        sshUser: fields.sshUser ?? "root",
        sshPort: fields.sshPort,
        idleMinutes: fields.idleMinutes ?? 15,
        namespace: "IdleStop",
        metricName: "ActiveSessions",
        agentCommandUrn: `${urnBase}:Command::${name}-agent`,
        payloadUrn: `${urnBase}:CopyToRemote::${name}-payload`,
        sshCommand: `ssh root@${fields.sshHost ?? "198.51.100.1"}`,
        alarmName: `${name}-idle-1234567`,
        alarmConsoleUrl: "https://console.aws.amazon.com/cloudwatch/home",
        silentAlarmName: `${name}-silent-1234567`,
        silentAlarmConsoleUrl: "https://console.aws.amazon.com/cloudwatch/home",
        dashboardUrl: "",
    };
}
