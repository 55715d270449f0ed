/** Options several commands share, declared once so their help reads the same. */
import { CommandOption } from "../cli/command";

export const stackOption: CommandOption = {
    name: "stack",
    type: "string",
    value: "NAME",
    description: "Pulumi stack (default: IDLE_STOP_STACK, else the selected stack)",
};
