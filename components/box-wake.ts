/**
 * The two local commands that let a plain `pulumi up` / `pulumi destroy` reach a stopped box
 * (docs/architecture.md, "Waking boxes for Pulumi"). The agent push depends on `wake`, and `sleep`
 * depends on the push, so:
 *   up:      wake.create (start if stopped) -> copy, install -> sleep.create (stop if wake started it)
 *   destroy: sleep.delete (start if stopped) -> uninstall -> wake.delete (stop if sleep.delete started it)
 * Pulumi deletes dependents before their dependencies, which is why each resource's delete does
 * the other's job. Both carry the push's release (and connection) as triggers, so a new release
 * replaces them together with the push: the old install's delete, which Pulumi runs at the end,
 * is then again framed by the old sleep's delete (wake) and the old wake's delete (sleep).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as os from "os";
import * as path from "path";
import { shellQuote } from "../common/shell-quote";

/** The script both commands run, beside this module (.ts from a checkout, .js when compiled). */
const powerScript = path.join(__dirname, `box-power${path.extname(__filename) || ".ts"}`);

/**
 * A path as the command line names it, so the same stack deployed from another checkout (a
 * teammate's clone, CI) records the same command and a destroy still finds the script after the
 * checkout moved: relative to the program's working directory (where Pulumi runs the command,
 * `dir` being unset), else under `$HOME` (a plugin installed in ~/.pulumi), else absolute
 * (docs/architecture.md, "Waking boxes for Pulumi").
 */
export function portablePath(file: string, cwd = process.cwd(), home = os.homedir()): string {
    const inside = (dir: string): string | undefined => {
        const rel = path.relative(dir, file);
        return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : undefined;
    };
    const fromCwd = inside(cwd);
    if (fromCwd !== undefined) return shellQuote(fromCwd.startsWith("-") ? `./${fromCwd}` : fromCwd);
    const fromHome = home !== "" && home !== "/" ? inside(home) : undefined;
    if (fromHome !== undefined) return `"$HOME"/${shellQuote(fromHome)}`;
    return shellQuote(file);
}

/**
 * ts-node's register module for `node -r`: its bare name when node, resolving it from the working
 * directory as `-r` does, finds the same file this module would; else its path (portablePath).
 */
function tsNodeRegister(cwd = process.cwd()): string {
    const name = "ts-node/register/transpile-only";
    let own: string;
    try {
        own = require.resolve(name);
    } catch {
        throw new Error("idle-stop: waking boxes needs ts-node (the TypeScript runner Pulumi programs use); run `npm ci`");
    }
    try {
        if (require.resolve(name, { paths: [cwd] }) === own) return name;
    } catch {
        /* not reachable from the working directory: name it by path */
    }
    return portablePath(own, cwd);
}

/** How `node` runs the script: TypeScript goes through ts-node, which every TypeScript Pulumi program has. */
function nodeCommand(): string {
    if (powerScript.endsWith(".js")) return `node ${portablePath(powerScript)}`;
    return `node -r ${tsNodeRegister()} ${portablePath(powerScript)}`;
}

export interface PowerTarget {
    readonly instanceId: string;
    readonly region: string;
    readonly host: string;
    readonly port: number;
    /** The box's action is hibernate: sleep hibernates it (box-power.ts `--hibernate`). */
    readonly hibernate?: boolean;
}

/** Start if stopped, wait for the SSH port; `marker` keeps "we started it" in a file (destroy path). */
export function wakeCommand(t: PowerTarget, marker: boolean): string {
    const args = ["wake", "--region", t.region, "--instance", t.instanceId, "--host", t.host, "--port", String(t.port)];
    return `${nodeCommand()} ${args.map(shellQuote).join(" ")}${marker ? " --marker" : ""}`;
}

/**
 * Stop (or hibernate, `t.hibernate`) only if the wake step started it: its stdout arrives in
 * $IDLE_STOP_WOKE, or a marker file says so.
 */
export function sleepCommand(t: PowerTarget, marker: boolean): string {
    const args = ["sleep", "--region", t.region, "--instance", t.instanceId, ...(t.hibernate ? ["--hibernate"] : [])];
    return `${nodeCommand()} ${args.map(shellQuote).join(" ")}${marker ? " --marker" : ' --woke "${IDLE_STOP_WOKE:-}"'}`;
}

interface BoxWakeArgs {
    readonly instanceId: pulumi.Output<string>;
    readonly region: pulumi.Output<string>;
    readonly host: pulumi.Output<string>;
    readonly port: number;
    /** The IdleStop's action is hibernate. */
    readonly hibernate: boolean;
    /** Inputs whose change makes the push run on the box again (release, connection). */
    readonly triggers: Array<pulumi.Input<unknown>>;
    /** What must exist before the box can be woken (the instance, its address). */
    readonly dependsOn: Array<pulumi.Input<pulumi.Resource>>;
}

/** The AWS profile the AWS provider uses, so the commands act on the same account. */
function awsEnvironment(): Record<string, string> {
    const profile = new pulumi.Config("aws").get("profile");
    return profile ? { AWS_PROFILE: profile } : {};
}

/** Declares the wake step; the agent push must depend on it. */
export function declareWake(name: string, args: BoxWakeArgs, parent: pulumi.Resource): command.local.Command {
    const target = pulumi
        .all([args.instanceId, args.region, args.host])
        .apply(([instanceId, region, host]): PowerTarget => ({ instanceId, region, host, port: args.port, hibernate: args.hibernate }));
    return new command.local.Command(
        `${name}-wake`,
        {
            create: target.apply((t) => wakeCommand(t, false)),
            delete: target.apply((t) => sleepCommand(t, true)),
            environment: awsEnvironment(),
            triggers: args.triggers,
        },
        { parent, dependsOn: args.dependsOn },
    );
}

/** Declares the sleep step after the push's install (`after`). */
export function declareSleep(
    name: string,
    args: BoxWakeArgs,
    wake: command.local.Command,
    after: pulumi.Resource,
    parent: pulumi.Resource,
): command.local.Command {
    const target = pulumi
        .all([args.instanceId, args.region, args.host])
        .apply(([instanceId, region, host]): PowerTarget => ({ instanceId, region, host, port: args.port, hibernate: args.hibernate }));
    return new command.local.Command(
        `${name}-sleep`,
        {
            create: target.apply((t) => sleepCommand(t, false)),
            delete: target.apply((t) => wakeCommand(t, true)),
            environment: { ...awsEnvironment(), IDLE_STOP_WOKE: wake.stdout },
            triggers: args.triggers,
        },
        { parent, dependsOn: [wake, after] },
    );
}
