/**
 * Host blocks whose ProxyCommand is this command (what `idle-stop ssh-config` prints), and keeping
 * them in ~/.ssh/config inside one marked block, leaving every other byte of the file alone.
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

const beginMarker = "# BEGIN idle-stop ssh-config";
const endMarker = "# END idle-stop ssh-config";

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

export function renderHostBlocks(boxes: WatchedBox[], stackLabel: string, prefix = proxyCommandPrefix(), profile = process.env.AWS_PROFILE): string {
    if (profile !== undefined && printable(profile, Infinity) !== profile) {
        throw new UsageError(`AWS_PROFILE ${quotedPrintable(profile)} holds control characters; it would be written into ~/.ssh/config`);
    }
    const lines = [`${beginMarker} (stack ${printable(stackLabel)}; \`npx idle-stop ssh-config --write\` rewrites this block)`];
    for (const box of boxes) {
        // watchedBoxes already left out bad entries; checked again here, where it matters.
        const problem = entryProblem(box.name, box as unknown as Record<string, unknown>);
        if (problem !== undefined) throw new RuntimeError(`refusing to write the instance ${quotedPrintable(box.name)}: ${problem}`);
        const proxy = [
            prefix,
            "proxy",
            "--instance-id",
            box.instanceId,
            "--region",
            box.region,
            "--port",
            String(box.sshPort),
            "--name",
            box.name,
            ...(profile ? ["--profile", profile] : []),
        ]
            .map((part, index) => (index === 0 ? part : shellQuote(part)))
            .join(" ");
        lines.push(
            `Host ${box.name}`,
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

/** The file with the marked block replaced (or appended); everything outside it unchanged. */
function withBlock(existing: string, block: string): string {
    const begin = existing.search(new RegExp(`^${escapeRegExp(beginMarker)}`, "m"));
    if (begin < 0) {
        if (existing === "") return block;
        return `${existing}${existing.endsWith("\n") ? "" : "\n"}\n${block}`;
    }
    const endMatch = new RegExp(`^${escapeRegExp(endMarker)}[^\\n]*(\\n|$)`, "m").exec(existing.slice(begin));
    if (!endMatch) throw new RuntimeError(`the ssh config has "${beginMarker}" but no "${endMarker}" line after it; fix the file by hand`);
    const end = begin + endMatch.index + endMatch[0].length;
    return existing.slice(0, begin) + block + existing.slice(end);
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
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

/** Writes the block into the user's ssh config: atomically, same mode (0600 for a new file), backup first. */
export function writeSshConfig(block: string, home = process.env.HOME || homedir()): WriteResult {
    const sshDir = path.join(home, ".ssh");
    if (!existsSync(sshDir)) mkdirSync(sshDir, { mode: 0o700 });
    const configPath = path.join(sshDir, "config");
    // A dotfiles manager may link the config elsewhere: write the file the link points to.
    const target = existsSync(configPath) ? realpathSync(configPath) : configPath;
    const existed = existsSync(target);
    const existing = existed ? readFileSync(target, "utf8") : "";
    const updated = withBlock(existing, block);
    if (updated === existing) return { path: configPath, changed: false };
    const mode = existed ? statSync(target).mode & 0o777 : 0o600;
    let backup: string | undefined;
    if (existed) {
        backup = `${configPath}.idle-stop.bak`;
        writeBackup(backup, existing);
    }
    const tmp = writeTemporary(target, updated, mode);
    try {
        renameSync(tmp, target);
    } catch (err) {
        unlinkSync(tmp);
        throw err;
    }
    return { path: configPath, changed: true, backup };
}
