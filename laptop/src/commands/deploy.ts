/** `idle-stop deploy` (behind `npm run deploy`): `pulumi up` that works while boxes sleep (lifecycle.ts). */
import { stackAndPulumiArgs } from "../cli/args";
import { Command } from "../cli/command";
import { stackOption } from "./common-options";

export const deploy: Command = {
    name: "deploy",
    usage: ["[--stack NAME] [-- PULUMI-ARGS...]"],
    summary: `pulumi up; wakes the boxes the agent must be pushed to first
and puts them back to sleep afterwards (npm run deploy)`,
    description: `\`pulumi up\` that works while boxes sleep (what \`npm run deploy\` runs). When a watched box is
stopped, a preview (run with the boxes' last known addresses) tells whether its agent must be
pushed again; only then is it started, and the run uses its CURRENT address
(IDLE_STOP_SSH_HOSTS). Boxes it started are stopped again afterwards, also when pulumi fails.
PULUMI-ARGS go to \`pulumi up\` (e.g. --yes).`,
    options: [stackOption],
    passThrough: true,
    async run(argv, passThrough) {
        const options = stackAndPulumiArgs("deploy", argv, passThrough);
        const { runLifecycle } = await import("../lifecycle");
        return runLifecycle("deploy", options);
    },
};
