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
import { ProgramAgentConfig } from "../common/agent-config";
import { installCommand, stagingDir, uninstallCommand } from "./agent-commands";
import { requiredPayloadFiles } from "./agent-payload";

interface SshTarget {
    readonly host: pulumi.Input<string>;
    readonly user: string;
    readonly port: number;
    /** Kept secret: it is wrapped with `pulumi.secret` before it reaches any resource. */
    readonly privateKey: pulumi.Input<string>;
    /**
     * The pinned host key ("TYPE BASE64", checked by components/validation.ts). pulumi-command
     * then verifies the server's key on every dial, before authentication, so a mismatch fails
     * the copy before anything is sent and the install before the credentials on its stdin.
     * Without it pulumi-command accepts any host key (docs/security.md, "Trust on first use / host keys").
     */
    readonly hostKey?: string;
}

interface AgentPushArgs {
    readonly ssh: SshTarget;
    /** agent.json's content (keys, defaults and ranges: common/agent-config.ts). */
    readonly agentConfig: pulumi.Output<ProgramAgentConfig>;
    /** AWS credentials file content for the agent (IAM-user mode); sent on stdin, never on disk unprotected. */
    readonly credentialsFile?: pulumi.Output<string>;
    /** Local directory built by `npm run build` (bundle + installer). */
    readonly payloadDir: string;
    readonly nodeDistUrl?: string;
    readonly clientAliveIntervalSeconds?: number;
    readonly clientAliveCountMax?: number;
    /** Resources that must exist before the push (the instance, the identity's policy). */
    readonly dependsOn: Array<pulumi.Input<pulumi.Resource>>;
    /**
     * The step that wakes the box (components/box-wake.ts): the copy and the install run after its
     * create, and the uninstall before its delete. Declared here, given the release it wakes the box for.
     */
    readonly wake?: (release: pulumi.Output<string>) => command.local.Command;
    /** Ignore every change but the connection (keep the installed release; move its stored address). */
    readonly connectionOnly?: boolean;
}

interface AgentPush {
    readonly release: pulumi.Output<string>;
    readonly copy: command.remote.CopyToRemote;
    readonly install: command.remote.Command;
    readonly wake?: command.local.Command;
}

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

/**
 * How long the SSH connections keep dialling. pulumi-command dials up to dialErrorLimit + 1
 * times, each bounded by perDialTimeout seconds, and waits at most 5 s between dials.
 * The copy runs first and may wait for a created instance to boot, so it dials long. The
 * install/uninstall command runs after the copy succeeded (the box answers by then) and again
 * at `pulumi destroy`, when the box may be stopped or gone: it gives up after
 * COMMAND_DIAL_BOUND_SECONDS, so an unreachable box never holds up the removal of the alarms
 * and the IAM identity (which the command depends on) for longer than that.
 */
const COPY_DIAL = { dialErrorLimit: 30, perDialTimeout: 15 } as const;
export const COMMAND_DIAL = { dialErrorLimit: 6, perDialTimeout: 10 } as const;
const DIAL_RETRY_MAX_WAIT_SECONDS = 5;
export function dialBoundSeconds(d: { dialErrorLimit: number; perDialTimeout: number }): number {
    return (d.dialErrorLimit + 1) * d.perDialTimeout + d.dialErrorLimit * DIAL_RETRY_MAX_WAIT_SECONDS;
}
/** 100 s: the longest an unreachable box can delay `pulumi destroy`'s uninstall. */
export const COMMAND_DIAL_BOUND_SECONDS = dialBoundSeconds(COMMAND_DIAL);

function releaseId(parts: string[]): string {
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
    const wake = args.wake?.(release);

    const connectionTo = (dial: { dialErrorLimit: number; perDialTimeout: number }): command.types.input.remote.ConnectionArgs => ({
        host: args.ssh.host,
        user: args.ssh.user,
        port: args.ssh.port,
        privateKey: pulumi.secret(args.ssh.privateKey),
        ...(args.ssh.hostKey === undefined ? {} : { hostKey: args.ssh.hostKey }),
        ...dial,
    });

    const copy = new command.remote.CopyToRemote(
        `${name}-payload`,
        {
            // A created instance takes a minute or two to accept SSH; keep dialling meanwhile.
            connection: connectionTo(COPY_DIAL),
            source: new pulumi.asset.FileArchive(args.payloadDir),
            remotePath: release.apply(stagingDir),
            triggers: [release],
        },
        {
            parent,
            dependsOn: [...args.dependsOn, ...(wake ? [wake] : [])],
            ignoreChanges: args.connectionOnly ? ["source", "remotePath", "triggers"] : undefined,
        },
    );

    const install = new command.remote.Command(
        `${name}-agent`,
        {
            // Bounded: the delete (uninstall) must not hold up `pulumi destroy` on a stopped box.
            connection: connectionTo(COMMAND_DIAL),
            create: pulumi.all([release, configJson]).apply(([id, json]) =>
                installCommand({
                    release: id,
                    agentConfigJson: json,
                    credentialsOnStdin: args.credentialsFile !== undefined,
                    nodeDistUrl: args.nodeDistUrl,
                    clientAliveIntervalSeconds: args.clientAliveIntervalSeconds,
                    clientAliveCountMax: args.clientAliveCountMax,
                }),
            ),
            delete: release.apply(uninstallCommand),
            stdin: args.credentialsFile,
            triggers: [release],
        },
        {
            parent,
            dependsOn: [copy, ...(wake ? [wake] : [])],
            // A connection change alone is an in-place update (pulumi-command re-runs `create`, here the
            // stored, installed release's installer, which is idempotent) that records the new address.
            ignoreChanges: args.connectionOnly ? ["create", "delete", "stdin", "triggers"] : undefined,
        },
    );

    return { release, copy, install, wake };
}
