/** The registry: every subcommand of the laptop command, in the order the general help lists them. */
import { Command } from "../cli/command";
import { deploy } from "./deploy";
import { destroy } from "./destroy";
import { hold } from "./hold";
import { proxy } from "./proxy";
import { release } from "./release";
import { savings } from "./savings";
import { sshConfig } from "./ssh-config";
import { start } from "./start";
import { status } from "./status";
import { stop } from "./stop";

export const commands: readonly Command[] = [proxy, sshConfig, status, savings, start, stop, hold, release, deploy, destroy];

export function findCommand(name: string): Command | undefined {
    return commands.find((c) => c.name === name);
}
