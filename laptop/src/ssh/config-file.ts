/**
 * Host blocks whose ProxyCommand is this command (what `idle-stop ssh-config` prints), and keeping
 * them in ~/.ssh/config inside one marked block per stack (config-blocks.ts), leaving every other
 * byte of the file alone.
 * ssh_config is line-based and ssh runs a `Match exec` or `ProxyCommand` line as a command, so
 * nothing reaches the block unchecked (docs/security.md#the-laptop-side).
 */
import { randomBytes } from "node:crypto";
import {
    chmodSync,
    closeSync,
    existsSync,
    fsyncSync,
    mkdirSync,
    openSync,
    readFileSync,
    realpathSync,
    renameSync,
    statSync,
    unlinkSync,
    writeSync,
} from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { errnoCode, RuntimeError, UsageError } from "../../../common/errors";
import { printable, quotedPrintable } from "../../../common/printable";
import { shellQuote } from "../../../common/shell-quote";
import { repoRoot } from "../repo-root";
import { entryProblem, WatchedBox } from "../stack-outputs";
import { beginLine, endMarker, STACK_NAME_ALLOWED, STACK_NAME_PATTERN } from "./config-blocks";

/** This command as a ProxyCommand can run it: absolute node (nvm users' PATH differs in ssh's shell) and launcher. */
function proxyCommandPrefix(): string {
    const launcher = path.join(repoRoot, "laptop", "bin", "idle-stop.js");
    return [process.execPath, launcher].map(shellQuote).join(" ");
}

/** ssh expands %-tokens in ProxyCommand; a literal % must be doubled. */
function sshEscape(text: string): string {
    return text.replace(/%/g, "%%");
}

/** A line break (or NUL) in any value would start a directive of its own. */
function checkLines(lines: string[]): string[] {
    const broken = lines.find((line) => /[\r\n\0]/.test(line));
    if (broken !== undefined) throw new RuntimeError(`refusing to write an ssh_config line holding a line break: ${quotedPrintable(broken, 200)}`);
    return lines;
}

/** A `--prefix` for host aliases (`idle-stop.` makes `idle-stop.devbox`): no pattern or syntax characters. */
export const HOST_PREFIX_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const HOST_PREFIX_ALLOWED = "1-32 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

export interface BlockOptions {
    /** The stack the block belongs to; its BEGIN line names it (config-blocks.ts). */
    readonly stack: string;
    /** Put before every entry's name to make its Host alias. */
    readonly hostPrefix?: string;
    /** This command as ssh runs it (tests pass their own). */
    readonly command?: string;
    readonly profile?: string;
}

/** The Host alias of a box: the prefix and the entry's name. */
export function hostAlias(box: WatchedBox, hostPrefix = ""): string {
    return hostPrefix + box.name;
}

/**
 * The proxy's arguments for one box. A box whose `sshHost` was configured (sshHostFixed) is
 * reached there (`--host`), as the agent push reaches it; the others at their current address.
 */
function proxyArgs(box: WatchedBox, profile: string | undefined): string[] {
    return [
        "proxy",
        "--instance-id",
        box.instanceId,
        "--region",
        box.region,
        "--port",
        String(box.sshPort),
        ...(box.sshHostFixed && box.sshHost !== "" ? ["--host", box.sshHost] : []),
        "--name",
        box.name,
        ...(profile ? ["--profile", profile] : []),
    ];
}

export function renderHostBlocks(boxes: WatchedBox[], options: BlockOptions): string {
    const { stack, hostPrefix = "", command = proxyCommandPrefix(), profile = process.env.AWS_PROFILE } = options;
    if (profile !== undefined && printable(profile, Infinity) !== profile) {
        throw new UsageError(`AWS_PROFILE ${quotedPrintable(profile)} holds control characters; it would be written into ~/.ssh/config`);
    }
    if (!STACK_NAME_PATTERN.test(stack)) {
        throw new RuntimeError(`refusing to write a block for the stack ${quotedPrintable(stack)}: it is not ${STACK_NAME_ALLOWED}`);
    }
    if (hostPrefix !== "" && !HOST_PREFIX_PATTERN.test(hostPrefix)) {
        throw new UsageError(`--prefix ${quotedPrintable(hostPrefix)}: expected ${HOST_PREFIX_ALLOWED}`);
    }
    const lines = [beginLine(stack)];
    for (const box of boxes) {
        // watchedBoxes already left out bad entries; checked again here, where it matters.
        const problem = entryProblem(box.name, box as unknown as Record<string, unknown>);
        if (problem !== undefined) throw new RuntimeError(`refusing to write the instance ${quotedPrintable(box.name)}: ${problem}`);
        const proxy = [command, ...proxyArgs(box, profile).map(shellQuote)].join(" ");
        lines.push(
            `Host ${hostAlias(box, hostPrefix)}`,
            `    User ${box.sshUser}`,
            `    Port ${box.sshPort}`,
            // The address changes at every start; the host key does not: file it under the instance id.
            `    HostKeyAlias ${box.instanceId}`,
            `    ProxyCommand ${sshEscape(proxy)}`,
        );
    }
    lines.push(endMarker, "");
    return checkLines(lines).join("\n");
}

interface WriteResult {
    readonly path: string;
    readonly changed: boolean;
    readonly backup?: string;
}

/**
 * Creates `file` afresh (0600 or `mode`) with `text`, never through a link or file planted there:
 * `wx` fails on anything that exists, a symbolic link included.
 */
function createExclusive(file: string, text: string, mode: number): void {
    const fd = openSync(file, "wx", mode);
    try {
        writeSync(fd, text);
        fsyncSync(fd);
    } finally {
        closeSync(fd);
    }
    chmodSync(file, mode);
}

/** A new file next to `target` with an unpredictable name, created exclusively. */
function writeTemporary(target: string, text: string, mode: number): string {
    for (let attempt = 0; ; attempt++) {
        const tmp = path.join(path.dirname(target), `.${path.basename(target)}.idle-stop-${randomBytes(8).toString("hex")}`);
        try {
            createExclusive(tmp, text, mode);
            return tmp;
        } catch (err) {
            if (errnoCode(err) !== "EEXIST" || attempt >= 5) throw err;
        }
    }
}

/** The previous file's copy: whatever is at the backup's path (a link someone planted too) is removed, not written through. */
function writeBackup(backup: string, text: string): void {
    try {
        unlinkSync(backup);
    } catch (err) {
        if (errnoCode(err) !== "ENOENT") throw err;
    }
    createExclusive(backup, text, 0o600);
}

/** The user's ssh config: where it is, the file a link there points at, and what it holds now. */
export interface SshConfigFile {
    readonly path: string;
    readonly target: string;
    readonly existed: boolean;
    readonly text: string;
}

export function readSshConfig(home = process.env.HOME || homedir()): SshConfigFile {
    const configPath = path.join(home, ".ssh", "config");
    // A dotfiles manager may link the config elsewhere: write the file the link points to.
    const target = existsSync(configPath) ? realpathSync(configPath) : configPath;
    const existed = existsSync(target);
    return { path: configPath, target, existed, text: existed ? readFileSync(target, "utf8") : "" };
}

/** Writes `updated` as the user's ssh config: atomically, same mode (0600 for a new file), backup first. */
export function writeSshConfig(file: SshConfigFile, updated: string): WriteResult {
    if (updated === file.text) return { path: file.path, changed: false };
    const sshDir = path.dirname(file.path);
    if (!existsSync(sshDir)) mkdirSync(sshDir, { mode: 0o700 });
    const mode = file.existed ? statSync(file.target).mode & 0o777 : 0o600;
    let backup: string | undefined;
    if (file.existed) {
        backup = `${file.path}.idle-stop.bak`;
        writeBackup(backup, file.text);
    }
    const tmp = writeTemporary(file.target, updated, mode);
    try {
        renameSync(tmp, file.target);
    } catch (err) {
        unlinkSync(tmp);
        throw err;
    }
    return { path: file.path, changed: true, backup };
}
