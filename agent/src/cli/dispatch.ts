// From the command line to a command's run(): help, the checks every command shares (unknown
// command or option, too many arguments, a stray `--`), then the command. Exit codes:
// docs/reference/agent.md (0 success, 1 runtime failure, 2 bad usage or bad config).
import { UsageError } from "../../../common/errors";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config";
import { Clock } from "../system/clock";
import { expect, parseArgs } from "./args";
import { Command } from "./command";
import { commandHelp, usageText } from "./help";
import { COMMANDS, findCommand } from "./registry";

/** Options that take a value: --config and every command's valued options. */
function valuedOptions(commands: readonly Command[]): Set<string> {
    return new Set(["--config", ...commands.flatMap((c) => c.options.filter((o) => o.value !== undefined).map((o) => o.flag))]);
}

/** Runs one command line; resolves with the exit code, throws UsageError (exit 2) or RuntimeError (exit 1). */
export async function runCommandLine(argv: string[], clock: Clock, commands: readonly Command[] = COMMANDS): Promise<number> {
    const p = parseArgs(argv, valuedOptions(commands));
    const usage = usageText(commands);
    const command = p.command === undefined ? undefined : findCommand(p.command, commands);
    if (p.command !== undefined && command === undefined) throw new UsageError(`unknown command "${p.command}"\n${usage}`);
    if (p.help || command === undefined) {
        if (!p.help) {
            process.stderr.write(usage);
            return 2;
        }
        process.stdout.write(command === undefined ? usage : commandHelp(command));
        return 0;
    }
    if (p.rest !== null && !command.takesRest) throw new UsageError(`${command.name}: unexpected "--"`);
    expect(
        p,
        command.options.map((o) => o.flag),
        command.maxPositionals,
    );
    return command.run({
        positionals: p.positionals,
        flags: p.flags,
        rest: p.rest,
        config: () => loadConfig(p.configPath ?? DEFAULT_CONFIG_PATH, p.configPath !== undefined),
        clock,
    });
}
