/** `idle-stop stop NAME`: stop a watched box now, without waiting for the idle alarm. */
import { parseCommand, stringOption, stringsOption } from "../cli/args";
import { Command } from "../cli/command";
import { printable } from "../../../common/printable";
import { boxStackOption, regionOption } from "./common-options";

export const stop: Command = {
    name: "stop",
    usage: ["NAME [--stack NAME] [--region NAME]..."],
    summary: "stop a watched box",
    description:
        "Stops the watched instance NAME now (StopInstances), without waiting for the idle alarm; a box whose action is hibernate is hibernated (else stopped plainly where EC2 refuses).",
    options: [boxStackOption, regionOption],
    positionals: { min: 1, max: 1 },
    async run(argv) {
        const p = parseCommand(stop, argv);
        const [{ boxNamed, readBoxes }, { describeInstances, ec2Client, hibernateInstance, stopInstance }] = await Promise.all([
            import("../stack-outputs"),
            import("../aws/instances"),
        ]);
        const box = boxNamed(await readBoxes({ stack: stringOption(p, "stack"), regions: stringsOption(p, "region") }), p.positionals[0]);
        const ec2 = ec2Client(box.region);
        const state = (await describeInstances(ec2, [box.instanceId])).get(box.instanceId)?.state ?? "unknown";
        if (state !== "running" && state !== "pending") {
            process.stdout.write(`${box.name} (${box.instanceId}) is ${state}; nothing to stop\n`);
            return state === "stopped" || state === "stopping" ? 0 : 1;
        }
        if (!box.hibernate) {
            await stopInstance(ec2, box.instanceId);
            process.stdout.write(`${box.name} (${box.instanceId}) is stopping\n`);
            return 0;
        }
        // As its idle alarm would (common/stop-instance.ts): hibernate, else a plain stop, saying why.
        const outcome = await hibernateInstance(ec2, box.instanceId);
        const why = outcome.because !== undefined ? ` (${printable(outcome.because, 300)})` : "";
        const did =
            outcome.did === "hibernating" ? "is hibernating" : outcome.did === "stopping" ? "is stopping, not hibernating" : "was stopped already";
        process.stdout.write(`${box.name} (${box.instanceId}) ${did}${why}\n`);
        return 0;
    },
};
