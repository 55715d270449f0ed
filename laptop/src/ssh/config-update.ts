/** What `ssh-config --write`, `--dry-run` and `--remove` do to ~/.ssh/config, and what they say about it. */
import { quotedPrintable } from "../../../common/printable";
import { blockOffset, earlierHosts, withStackBlock } from "./config-blocks";
import { readSshConfig, SshConfigFile, writeSshConfig } from "./config-file";
import { unifiedDiff } from "./line-diff";

export interface RenderedBlock {
    readonly stack: string;
    readonly aliases: string[];
    readonly text: string;
}

/** Warns, on stderr, about each `Host` section above a block that would win over it for one of its aliases. */
function warnEarlierHosts(file: SshConfigFile, updated: string, blocks: RenderedBlock[]): void {
    for (const block of blocks) {
        for (const hit of earlierHosts(updated, blockOffset(updated, block.stack), block.aliases)) {
            process.stderr.write(
                `idle-stop: warning: ${file.path}:${hit.line}: "${hit.text}" comes before idle-stop's block and sets ${hit.options.join(", ")} for ${hit.alias}; ` +
                    `ssh uses the first value it finds, so \`ssh ${hit.alias}\` will not go as the block says (remove or narrow that entry, or use --prefix)\n`,
            );
        }
    }
}

/** Prints the diff (dry run) or writes the file; the exit code. */
function apply(file: SshConfigFile, updated: string, dryRun: boolean, wrote: string): number {
    if (dryRun) {
        const diff = unifiedDiff(file.text, updated, file.path, `${file.path} (after --write)`);
        process.stdout.write(diff === "" ? `${file.path}: nothing would change\n` : diff);
        return 0;
    }
    const result = writeSshConfig(file, updated);
    if (!result.changed) process.stdout.write(`${result.path} is up to date (${wrote})\n`);
    else process.stdout.write(`${result.path}: ${wrote}${result.backup ? `; previous file in ${result.backup}` : ""}\n`);
    return 0;
}

/** --write / --dry-run: each stack's block replaced (or appended), the rest of the file unchanged. */
export function writeBlocks(blocks: RenderedBlock[], dryRun: boolean): number {
    const file = readSshConfig();
    const updated = blocks.reduce((text, block) => withStackBlock(text, block.stack, block.text), file.text);
    warnEarlierHosts(file, updated, blocks);
    const aliases = blocks.flatMap((b) => b.aliases);
    if (updated === file.text && !dryRun) {
        process.stdout.write(`${file.path} is up to date (${aliases.join(", ")})\n`);
        return 0;
    }
    return apply(file, updated, dryRun, `wrote Host ${aliases.join(", ") || "(none)"}`);
}

/** --remove: this stack's block out of the file (with the blank line --write put before it). */
export function removeBlock(stack: string, dryRun: boolean): number {
    const file = readSshConfig();
    const updated = withStackBlock(file.text, stack, undefined);
    if (updated === file.text) {
        process.stdout.write(`${file.path} has no block for the stack ${quotedPrintable(stack)}\n`);
        return 0;
    }
    return apply(file, updated, dryRun, `removed the block of the stack ${quotedPrintable(stack)}`);
}
