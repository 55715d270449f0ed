/** `idle-stop destroy` (behind `npm run destroy`): `pulumi destroy` that works while boxes sleep (lifecycle.ts). */
import { stackAndPulumiArgs } from "../cli/args";
import { Command } from "../cli/command";
import { stackOption } from "./common-options";

export const destroy: Command = {
    name: "destroy",
    usage: ["[--stack NAME] [-- PULUMI-ARGS...]"],
    summary: `pulumi destroy; wakes every box so the agent can be uninstalled,
puts adopted boxes back to sleep afterwards (npm run destroy)`,
    description: `\`pulumi destroy\` that works while boxes sleep (what \`npm run destroy\` runs). The agent's
uninstall runs over SSH with the connection Pulumi stored, so every watched box is started first,
its stored address is brought up to date (\`pulumi up --target\` on the agent commands whose
address changed), then \`pulumi destroy\` runs. Adopted boxes that were asleep are stopped again
afterwards; created ones are terminated by the destroy. PULUMI-ARGS go to \`pulumi destroy\`.`,
    options: [stackOption],
    passThrough: true,
    async run(argv, passThrough) {
        const options = stackAndPulumiArgs("destroy", argv, passThrough);
        const { runLifecycle } = await import("../lifecycle");
        return runLifecycle("destroy", options);
    },
};
