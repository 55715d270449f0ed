// What one subcommand of idle-stop-agent is. Each lives in its own file under cli/ and exports
// one `Command`; registry.ts lists them, and dispatch.ts and the help text (help.ts) are built
// from that list, so adding a subcommand is: write the file, add it to the registry.
// The CLI's reference (commands, exit codes): docs/reference/agent.md.
import { Config } from "../config";
import { Clock } from "../system/clock";

/** An option a command accepts (beyond the common --config FILE and -h/--help). */
interface Option {
    /** e.g. "--json". */
    flag: string;
    /** Placeholder of its value ("TEXT") for an option that takes one; absent for a switch. */
    value?: string;
}

/** What a command's run() is given: the parsed command line, already checked against its options. */
export interface Invocation {
    /** Words after the command name (at most `maxPositionals`). */
    positionals: string[];
    /** The command's own options: a value, or true for a switch. */
    flags: ReadonlyMap<string, string | true>;
    /** Everything after `--`; null without `--` (only commands with `takesRest` get one). */
    rest: string[] | null;
    /** Loads agent.json (--config FILE, else the default path); throws UsageError on a bad file. */
    config(): Config;
    clock: Clock;
}

export interface Command {
    name: string;
    /** The usage line after the program name, without the common "[--config FILE]" (help adds it). */
    usage: string;
    /** The command as listed in the top-level help ("hold DURATION [--reason TEXT]"). */
    synopsis: string;
    /** One line for the top-level help. */
    summary: string;
    /** `COMMAND --help`: the paragraph(s) after the usage line. */
    description: string;
    options: readonly Option[];
    /** How many words may follow the command name. */
    maxPositionals: number;
    /** Accepts a command line after `--` (keep-awake). */
    takesRest?: boolean;
    /** Runs the command; resolves with the exit code (0 success, 1 runtime failure). */
    run(inv: Invocation): number | Promise<number>;
}

/** The string value of a valued option, else undefined. */
export function optionValue(inv: Invocation, flag: string): string | undefined {
    const v = inv.flags.get(flag);
    return typeof v === "string" ? v : undefined;
}
