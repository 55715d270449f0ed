/** Command-line parsing for the laptop command: node's own parser, errors as usage errors (exit 2). */
import { parseArgs, ParseArgsConfig } from "node:util";
import { UsageError } from "../../common/errors";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedCommand {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
}

export function parseCommand(command: string, argv: string[], options: OptionSpec, positionals: { min: number; max: number }): ParsedCommand {
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (err) {
        throw new UsageError(`${command}: ${(err as Error).message.split("\n")[0]}`);
    }
    const count = parsed.positionals.length;
    if (count < positionals.min) throw new UsageError(`${command}: missing argument`);
    if (count > positionals.max) throw new UsageError(`${command}: unexpected argument "${parsed.positionals[positionals.max]}"`);
    return { values: parsed.values as ParsedCommand["values"], positionals: parsed.positionals };
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
