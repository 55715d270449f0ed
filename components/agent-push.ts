/**
 * Pushes the agent onto the instance over SSH and registers it: `remote.CopyToRemote` copies the
 * payload directory (bundle + installer), `remote.Command` runs the installer on create and the
 * uninstaller on delete. Every input that changes what runs on the box (payload content, agent
 * config, installer options) feeds one release id, and a new release replaces the command.
 * Replacement creates the new release before deleting the old one; the uninstaller only removes
 * the release it is told about, so the old delete leaves the new installation (and its state:
 * spooled datapoints, holds) alone.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { installCommand, stagingDir, uninstallCommand } from "./agent-commands";

/** The agent's config file (agent.json on the box); see SPEC.md section 5. */
export interface AgentConfig {
    readonly instanceId: string;
    readonly region: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly sampleSeconds: number;
    readonly publishSeconds: number;
    readonly alarmName: string;
    /** The stop-warning alarm, re-armed together with the idle alarm; absent without notifications. */
    readonly warningAlarmName?: string;
    readonly idleMinutes: number;
    /** Minutes before the expected stop at which the agent warns every logged-in terminal; 0 = none. */
    readonly warnMinutes: number;
    /** A session stops counting after this long without use; 0 = connected is enough. */
    readonly sessionIdleSeconds: number;
    /** CPU busy at or above this percent counts as use; 0 = off. */
    readonly busyCpuPercent: number;
    /** Ports sshd listens on, whose sockets carry the sessions' client traffic. */
    readonly sshPorts: number[];
}

export interface SshTarget {
    readonly host: pulumi.Input<string>;
    readonly user: string;
    readonly port: number;
    /** Kept secret: it is wrapped with `pulumi.secret` before it reaches any resource. */
    readonly privateKey: pulumi.Input<string>;
}

export interface AgentPushArgs {
    readonly ssh: SshTarget;
    readonly agentConfig: pulumi.Output<AgentConfig>;
    /** AWS credentials file content for the agent (IAM-user mode); sent on stdin, never on disk unprotected. */
    readonly credentialsFile?: pulumi.Output<string>;
    /** Local directory built by `npm run build` (bundle + installer). */
    readonly payloadDir: string;
    readonly nodeDistUrl?: string;
    readonly clientAliveIntervalSeconds?: number;
    readonly clientAliveCountMax?: number;
    /** Resources that must exist before the push (the instance, the identity's policy). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface AgentPush {
    readonly release: pulumi.Output<string>;
    readonly copy: command.remote.CopyToRemote;
    readonly install: command.remote.Command;
}

/** Files the installer needs; their absence means `npm run build` has not run. */
const requiredPayloadFiles = ["idle-stop-agent.js", "install.sh", "uninstall.sh"];

/** Content hash of the payload directory: relative paths and bytes, in a stable order. */
export function payloadHash(payloadDir: string): string {
    const missing = requiredPayloadFiles.filter((file) => !fs.existsSync(path.join(payloadDir, file)));
    if (missing.length > 0) {
        throw new Error(`idle-stop: the agent payload in ${payloadDir} lacks ${missing.join(", ")}; run \`npm run build\` first`);
    }
    const hash = createHash("sha256");
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else {
                hash.update(path.relative(payloadDir, full)).update("\0").update(fs.readFileSync(full)).update("\0");
            }
        }
    };
    walk(payloadDir);
    return hash.digest("hex");
}

/**
 * The payload does not change while a program runs, and every watched instance pushes the same
 * one: hash it once per directory, not once per instance.
 */
const payloadHashes = new Map<string, string>();
function payloadHashOnce(payloadDir: string): string {
    let hash = payloadHashes.get(payloadDir);
    if (hash === undefined) {
        hash = payloadHash(payloadDir);
        payloadHashes.set(payloadDir, hash);
    }
    return hash;
}

export function releaseId(parts: string[]): string {
    return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

export function pushAgent(name: string, args: AgentPushArgs, parent: pulumi.Resource): AgentPush {
    if (path.basename(args.payloadDir) !== "dist") {
        // CopyToRemote recreates the directory by its base name; the install command expects `dist/`.
        throw new Error(`idle-stop: the agent payload directory must be named "dist", got ${args.payloadDir}`);
    }
    const payload = payloadHashOnce(args.payloadDir);
    const configJson = args.agentConfig.apply((config) => JSON.stringify(config, null, 2) + "\n");
    const installerOptions = JSON.stringify({
        nodeDistUrl: args.nodeDistUrl,
        clientAliveIntervalSeconds: args.clientAliveIntervalSeconds,
        clientAliveCountMax: args.clientAliveCountMax,
        credentialsOnStdin: args.credentialsFile !== undefined,
    });
    const release = configJson.apply((json) => releaseId([payload, json, installerOptions]));

    const connection: command.types.input.remote.ConnectionArgs = {
        host: args.ssh.host,
        user: args.ssh.user,
        port: args.ssh.port,
        privateKey: pulumi.secret(args.ssh.privateKey),
        // A created instance takes a minute or two to accept SSH; keep dialling meanwhile.
        dialErrorLimit: 30,
        perDialTimeout: 15,
    };

    const copy = new command.remote.CopyToRemote(`${name}-payload`, {
        connection,
        source: new pulumi.asset.FileArchive(args.payloadDir),
        remotePath: release.apply(stagingDir),
        triggers: [release],
    }, { parent, dependsOn: args.dependsOn });

    const install = new command.remote.Command(`${name}-agent`, {
        connection,
        create: pulumi.all([release, configJson]).apply(([id, json]) => installCommand({
            release: id,
            agentConfigJson: json,
            credentialsOnStdin: args.credentialsFile !== undefined,
            nodeDistUrl: args.nodeDistUrl,
            clientAliveIntervalSeconds: args.clientAliveIntervalSeconds,
            clientAliveCountMax: args.clientAliveCountMax,
        })),
        delete: release.apply(uninstallCommand),
        stdin: args.credentialsFile,
        triggers: [release],
    }, { parent, dependsOn: [copy] });

    return { release, copy, install };
}
