/** `idle-stop release NAME`: end holds on a watched box, by running its own `idle-stop release` over SSH. */
import { UsageError } from "../../../common/errors";
import { quotedPrintable } from "../../../common/printable";
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { boxStackOption, regionOption, sshHostOption } from "./common-options";

export const release: Command = {
    name: "release",
    usage: ["NAME [ID | --all | --expired] [--stack NAME] [--region NAME]... [-- SSH_OPTIONS...]"],
    summary: "end holds on a watched box (its idle-stop release, over SSH)",
    description: `Runs \`idle-stop release [ID | --all | --expired]\` on the watched instance NAME over ssh, the
way \`hold\` does (your ssh config's Host block, else the box's tags). Options after "--" go to ssh.`,
    options: [
        { name: "all", type: "boolean", description: "every hold of yours on the box" },
        { name: "expired", type: "boolean", description: "only the expired ones" },
        sshHostOption,
        boxStackOption,
        regionOption,
    ],
    positionals: { min: 1, max: 2 },
    passThrough: true,
    async run(argv, passThrough) {
        const p = parseCommand(release, argv);
        const [name, id] = p.positionals;
        if (id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`release: hold ID ${quotedPrintable(id)} is not one`);
        const args = [
            "release",
            ...(id !== undefined ? [id] : []),
            ...(p.values.all === true ? ["--all"] : []),
            ...(p.values.expired === true ? ["--expired"] : []),
        ];
        const [{ boxNamed, readBoxes }, { runOnBox }] = await Promise.all([import("../stack-outputs"), import("../ssh/remote-command")]);
        const box = boxNamed(await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") }), name);
        return runOnBox(box, stringOption(p, "ssh-host") ?? box.name, args, passThrough);
    },
};
