/**
 * Host blocks whose ProxyCommand is this command (what `idle-stop ssh-config` prints), and keeping
 * them in ~/.ssh/config inside one marked block, leaving every other byte of the file alone.
 */
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
    writeFileSync,
    writeSync,
} from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { shellQuote } from "../../../common/shell-quote";
import { RuntimeError } from "../../../common/errors";
import { repoRoot } from "../repo-root";
import type { WatchedBox } from "../stack-outputs";

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

export function renderHostBlocks(boxes: WatchedBox[], stackLabel: string, prefix = proxyCommandPrefix(), profile = process.env.AWS_PROFILE): string {
    const lines = [`${beginMarker} (stack ${stackLabel}; \`npx idle-stop ssh-config --write\` rewrites this block)`];
    for (const box of boxes) {
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
    return lines.join("\n");
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
        writeFileSync(backup, existing, { mode: 0o600 });
        chmodSync(backup, 0o600);
    }
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.idle-stop-${process.pid}`);
    const fd = openSync(tmp, "w", mode);
    try {
        writeSync(fd, updated);
        fsyncSync(fd);
    } finally {
        closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, target);
    return { path: configPath, changed: true, backup };
}
