/** `idle-stop hold NAME DURATION`: keep a watched box awake, by running its own `idle-stop hold` over SSH. */
import { UsageError } from "../../../common/errors";
import { printable, quotedPrintable } from "../../../common/printable";
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { boxStackOption, regionOption, sshHostOption } from "./common-options";

export const hold: Command = {
    name: "hold",
    usage: ["NAME DURATION [--reason TEXT] [--stack NAME] [--region NAME]... [-- SSH_OPTIONS...]"],
    summary: "keep a watched box awake for DURATION (its idle-stop hold, over SSH)",
    description: `Runs \`idle-stop hold DURATION [--reason TEXT]\` on the watched instance NAME over ssh (e.g. 2h,
90m, 1h30m; at most 7d; the box checks it). ssh goes through your ssh config when it has a Host
block for the box (--ssh-host, default NAME), else to the user, port and address of the box's
tags (the box must be running). Options after "--" go to ssh (e.g. -i KEY, -F FILE).`,
    options: [
        { name: "reason", type: "string", value: "TEXT", description: "why (shown by `idle-stop status` on the box)" },
        sshHostOption,
        boxStackOption,
        regionOption,
    ],
    positionals: { min: 2, max: 2 },
    passThrough: true,
    async run(argv, passThrough) {
        const p = parseCommand(hold, argv);
        const [name, duration] = p.positionals;
        // The box's own parser says what is allowed; this only keeps option-like or odd text off its command line.
        if (!/^[0-9][0-9a-z]{0,19}$/.test(duration))
            throw new UsageError(`hold: DURATION ${quotedPrintable(duration)}: expected e.g. 45m, 2h, 1h30m, 1d`);
        const reason = stringOption(p, "reason");
        if (reason !== undefined && (reason === "" || reason.length > 200 || printable(reason, 200) !== reason))
            throw new UsageError("hold: --reason: 1-200 characters without control characters");
        const [{ boxNamed, readBoxes }, { runOnBox }] = await Promise.all([import("../stack-outputs"), import("../ssh/remote-command")]);
        const box = boxNamed(await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") }), name);
        return runOnBox(
            box,
            stringOption(p, "ssh-host") ?? box.name,
            ["hold", duration, ...(reason !== undefined ? ["--reason", reason] : [])],
            passThrough,
        );
    },
};
