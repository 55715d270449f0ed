/** Command-line parsing for the laptop command: node's own parser, errors as usage errors (exit 2). */
import { parseArgs } from "node:util";
import { UsageError } from "../../../common/errors";
import { Command } from "./command";

interface ParsedCommand {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
}

/** Parses a command's own arguments against the options and positional count it declares. */
export function parseCommand(command: Command, argv: string[]): ParsedCommand {
    const options = Object.fromEntries(command.options.map((o) => [o.name, { type: o.type }]));
    const positionals = command.positionals ?? { min: 0, max: 0 };
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (err) {
        throw new UsageError(`${command.name}: ${(err as Error).message.split("\n")[0]}`);
    }
    const count = parsed.positionals.length;
    if (count < positionals.min) throw new UsageError(`${command.name}: missing argument`);
    if (count > positionals.max) throw new UsageError(`${command.name}: unexpected argument "${parsed.positionals[positionals.max]}"`);
    return { values: parsed.values, positionals: parsed.positionals };
}

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
    const v = parsed.values[name];
    return typeof v === "string" ? v : undefined;
}

export function integerOption(command: string, parsed: ParsedCommand, name: string, fallback: number, min: number, max: number): number {
    const raw = stringOption(parsed, name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new UsageError(`${command}: --${name} ${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
    }
    return Number(raw);
}

export function choiceOption<T extends string>(command: string, parsed: ParsedCommand, name: string, allowed: readonly T[], fallback: T): T {
    const raw = stringOption(parsed, name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
        throw new UsageError(`${command}: --${name} ${JSON.stringify(raw)}: expected one of ${allowed.join(", ")}`);
    }
    return raw as T;
}

/**
 * deploy and destroy: `--stack NAME` is theirs, every other argument goes to pulumi, so that
 * `npm run deploy -- --yes` works as well as `idle-stop deploy -- --yes`.
 */
export function stackAndPulumiArgs(command: string, argv: string[], passThrough: string[]): { stack?: string; pulumiArgs: string[] } {
    const pulumiArgs = [...passThrough];
    let stack: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack") {
            stack = argv[++i];
            if (stack === undefined) throw new UsageError(`${command}: --stack needs a value`);
        } else if (arg.startsWith("--stack=")) {
            stack = arg.slice("--stack=".length);
        } else {
            pulumiArgs.push(arg);
        }
    }
    return { stack, pulumiArgs };
}
