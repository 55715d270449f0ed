/** Options several commands share, declared once so their help reads the same. */
import { CommandOption } from "../cli/command";

export const stackOption: CommandOption = {
    name: "stack",
    type: "string",
    value: "NAME",
    description: "Pulumi stack (default: IDLE_STOP_STACK, else the selected stack)",
};

export const regionOption: CommandOption = {
    name: "region",
    type: "string",
    value: "NAME",
    multiple: true,
    description:
        "search the boxes' idle alarms in this region (repeatable; default: AWS_REGION,\nAWS_DEFAULT_REGION and the profile's region); finds the boxes from AWS, not the stack",
};

export const sshHostOption: CommandOption = {
    name: "ssh-host",
    type: "string",
    value: "ALIAS",
    description: "the box's Host alias in your ssh config (default: NAME)",
};

/** `--stack` for the commands that find boxes from AWS too (docs/reference/laptop.md#finding-the-boxes). */
export const boxStackOption: CommandOption = {
    name: "stack",
    type: "string",
    value: "NAME",
    description:
        "the Pulumi stack whose outputs list the boxes (default: IDLE_STOP_STACK,\nelse the selected stack); with --region, only its boxes found in AWS (PROJECT/STACK or STACK)",
};
