// Every subcommand of idle-stop-agent, in the order the help lists them.
import { Command } from "./command";
import { holdCommand } from "./hold";
import { keepAwakeCommand } from "./keep-awake";
import { onceCommand } from "./once";
import { releaseCommand } from "./release";
import { runCommand } from "./run";
import { sessionsCommand } from "./sessions";
import { statusCommand } from "./status";

export const COMMANDS: readonly Command[] = [sessionsCommand, onceCommand, runCommand, statusCommand, holdCommand, releaseCommand, keepAwakeCommand];

export function findCommand(name: string, commands: readonly Command[] = COMMANDS): Command | undefined {
    return commands.find((c) => c.name === name);
}
