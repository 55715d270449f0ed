/** `idle-stop start NAME`: start a watched box and wait until it runs. */
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { Progress } from "../cli/progress";
import { boxStackOption, regionOption } from "./common-options";

export const start: Command = {
    name: "start",
    usage: ["NAME [--stack NAME] [--region NAME]..."],
    summary: "start a watched box and wait until it runs",
    description: `Starts the watched instance NAME (from AWS or the stack, as status finds it) and waits until it runs. The agent
re-arms its idle alarm at boot, so it is stopped again after idleMinutes without a session.`,
    options: [boxStackOption, regionOption],
    positionals: { min: 1, max: 1 },
    async run(argv) {
        const p = parseCommand(start, argv);
        const [{ boxNamed, readBoxes }, { addressOf, ec2Client, ensureRunning }] = await Promise.all([
            import("../stack-outputs"),
            import("../aws/instances"),
        ]);
        const box = boxNamed(await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") }), p.positionals[0]);
        const progress = new Progress();
        const woken = await ensureRunning(ec2Client(box.region), box.instanceId, {
            label: box.name,
            deadline: Date.now() + 600_000,
            pollMs: 2000,
            observer: progress,
        });
        progress.done(`${box.name} is running`);
        const address = addressOf(woken.instance, "auto");
        process.stdout.write(
            `${box.name} (${box.instanceId}) is running${address ? ` at ${address}` : ""}${woken.started ? "" : " (it already was)"}\n`,
        );
        return 0;
    },
};
