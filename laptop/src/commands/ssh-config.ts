/**
 * `idle-stop ssh-config`: Host blocks whose ProxyCommand is this command, so `ssh alice` (and VS
 * Code Remote-SSH) wake a sleeping box. `--write` keeps them in ~/.ssh/config (ssh/config-file.ts).
 */
import { parseCommand, stringOption } from "../cli/args";
import { Command } from "../cli/command";
import { stackOption } from "./common-options";

export const sshConfig: Command = {
    name: "ssh-config",
    usage: ["[--stack NAME] [--write]"],
    summary: "Host blocks (ProxyCommand = this command) for ~/.ssh/config",
    description: `Prints one Host block per watched instance of the stack (from \`pulumi stack output\`): the
entry's name as host alias, its SSH user and port, HostKeyAlias = the instance id (the address
changes at every start; the host key does not), and ProxyCommand = this command by absolute path
(with --profile when AWS_PROFILE is set, so it works from editors that lack your shell's environment).`,
    options: [
        stackOption,
        {
            name: "write",
            type: "boolean",
            description: `keep these blocks in ~/.ssh/config between "# BEGIN idle-stop" and
"# END idle-stop" markers (one marked block per stack), leaving every other
byte of the file as it was; the previous file is kept as ~/.ssh/config.idle-stop.bak.
Running it again with nothing changed changes nothing.`,
        },
    ],
    async run(argv) {
        const p = parseCommand(sshConfig, argv);
        const stack = stringOption(p, "stack");
        const [{ readWatchedBoxes }, { renderHostBlocks, writeSshConfig }] = await Promise.all([
            import("../stack-outputs"),
            import("../ssh/config-file"),
        ]);
        const boxes = await readWatchedBoxes(stack);
        const block = renderHostBlocks(boxes, stack ?? process.env.IDLE_STOP_STACK ?? "selected");
        if (p.values.write !== true) {
            process.stdout.write(block);
            return 0;
        }
        const names = boxes.map((b) => b.name).join(", ");
        const result = writeSshConfig(block);
        if (!result.changed) {
            process.stdout.write(`${result.path} is up to date (${names})\n`);
        } else {
            process.stdout.write(`${result.path}: wrote Host ${names}${result.backup ? `; previous file in ${result.backup}` : ""}\n`);
        }
        return 0;
    },
};
