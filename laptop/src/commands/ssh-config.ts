/**
 * `idle-stop ssh-config`: Host blocks whose ProxyCommand is this command, so `ssh alice` (and VS
 * Code Remote-SSH) wake a sleeping box. `--write` keeps them in ~/.ssh/config, one marked block per
 * stack (ssh/config-file.ts, ssh/config-blocks.ts); `--dry-run` shows what it would change.
 */
import { UsageError } from "../../../common/errors";
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import type { WatchedBox } from "../stack-outputs";
import { regionOption, stackOption } from "./common-options";

/** The stack a box's block belongs to: the one that watches it, else the one asked for. */
function stackOf(box: WatchedBox, fallback: string): string {
    const named = (box as WatchedBox & { stack?: unknown }).stack;
    return typeof named === "string" && named !== "" ? named : fallback;
}

/** The boxes per stack, in the order first seen. */
function byStack(boxes: WatchedBox[], fallback: string): Map<string, WatchedBox[]> {
    const groups = new Map<string, WatchedBox[]>([[fallback, []]]);
    for (const box of boxes) {
        const stack = stackOf(box, fallback);
        groups.set(stack, [...(groups.get(stack) ?? []), box]);
    }
    // The asked-for stack keeps its (empty) block only when no box named another stack.
    if (groups.get(fallback)?.length === 0 && groups.size > 1) groups.delete(fallback);
    return groups;
}

export const sshConfig: Command = {
    name: "ssh-config",
    usage: ["[--stack NAME] [--region NAME]... [--prefix P] [--write | --dry-run] [--remove]"],
    summary: "Host blocks (ProxyCommand = this command) for ~/.ssh/config",
    description: `Prints one Host block per watched instance of the stack: the entry's name (after --prefix) as
host alias, its SSH user and port, HostKeyAlias = the instance id (the address changes at every
start; the host key does not), and ProxyCommand = this command by absolute path (with --host when
the box's sshHost is configured, and --profile when AWS_PROFILE is set, so it works from editors
that lack your shell's environment).`,
    options: [
        stackOption,
        regionOption,
        {
            name: "prefix",
            type: "string",
            value: "P",
            description: `put P before every host alias: --prefix idle-stop. gives \`ssh idle-stop.devbox\`
(lowercase letters, digits, '.', '_', '-')`,
        },
        {
            name: "write",
            type: "boolean",
            description: `keep these blocks in ~/.ssh/config, one marked block per stack (its
"# BEGIN idle-stop ssh-config (stack NAME; ..." line through "# END idle-stop ssh-config"),
leaving other stacks' blocks and every other byte of the file as they were; boxes no
longer watched drop out. The previous file is kept as ~/.ssh/config.idle-stop.bak.
Warns about an earlier Host line that would win over the block (ssh uses the first).`,
        },
        { name: "dry-run", type: "boolean", description: "print the diff --write (or --remove) would apply to ~/.ssh/config; write nothing" },
        { name: "remove", type: "boolean", description: "remove this stack's block from ~/.ssh/config (other stacks' blocks stay)" },
    ],
    async run(argv) {
        const p = parseCommand(sshConfig, argv);
        const stack = stringOption(p, "stack");
        const hostPrefix = stringOption(p, "prefix") ?? "";
        const dryRun = p.values["dry-run"] === true;
        const remove = p.values.remove === true;
        if (dryRun && p.values.write === true) throw new UsageError("ssh-config: --dry-run shows what --write would do; give one of them");
        const label = stack ?? process.env.IDLE_STOP_STACK ?? "selected";
        const files = await import("../ssh/config-file");
        if (hostPrefix !== "" && !files.HOST_PREFIX_PATTERN.test(hostPrefix)) {
            throw new UsageError(`ssh-config: --prefix ${JSON.stringify(hostPrefix)}: expected ${files.HOST_PREFIX_ALLOWED}`);
        }
        if (remove) return (await import("../ssh/config-update")).removeBlock(label, dryRun);
        // From AWS or the stack's outputs (docs/reference/laptop.md#finding-the-boxes).
        const { readBoxes } = await import("../stack-outputs");
        const boxes = await readBoxes({ stack, regions: stringsOption(p, "region") });
        const blocks = [...byStack(boxes, label)].map(([name, group]) => ({
            stack: name,
            aliases: group.map((box) => files.hostAlias(box, hostPrefix)),
            text: files.renderHostBlocks(group, { stack: name, hostPrefix }),
        }));
        if (p.values.write !== true && !dryRun) {
            process.stdout.write(blocks.map((b) => b.text).join("\n"));
            return 0;
        }
        return (await import("../ssh/config-update")).writeBlocks(blocks, dryRun);
    },
};
