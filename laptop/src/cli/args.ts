/** Command-line parsing for the laptop command: node's own parser, errors as usage errors (exit 2). */
import { parseArgs } from "node:util";
import { UsageError } from "../../../common/errors";
import { Command } from "./command";

interface ParsedCommand {
    values: Record<string, string | boolean | Array<string | boolean> | undefined>;
    positionals: string[];
}

/** Parses a command's own arguments against the options and positional count it declares. */
export function parseCommand(command: Command, argv: string[]): ParsedCommand {
    const options = Object.fromEntries(command.options.map((o) => [o.name, { type: o.type, multiple: o.multiple === true }]));
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

/** Every value of a repeatable string option, in order. */
export function stringsOption(parsed: ParsedCommand, name: string): string[] {
    const v = parsed.values[name];
    return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
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
 * Whether a Pulumi argument names a stack: `--stack`, `--stack=NAME`, `-s`, `-sNAME`, `-s=NAME`,
 * or `s` inside a cluster of short options (`-ys NAME`).
 */
function namesStack(arg: string): boolean {
    return arg === "--stack" || arg.startsWith("--stack=") || arg.startsWith("-s") || /^-[A-Za-z]*s[A-Za-z]*$/.test(arg);
}

/**
 * deploy and destroy: `--stack NAME` is theirs, every other argument goes to pulumi, so that
 * `npm run deploy -- --yes` works as well as `idle-stop deploy -- --yes`. A stack named among
 * Pulumi's arguments (`-s prod`, or `--stack` after "--") is refused: Pulumi would run on that
 * stack while the boxes, their addresses and the targets came from another.
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
    const stackArg = pulumiArgs.find(namesStack);
    if (stackArg !== undefined) {
        throw new UsageError(
            `${command}: ${JSON.stringify(stackArg)} would pick Pulumi's stack behind the laptop command's back; give the stack as \`idle-stop ${command} --stack NAME\` (before any "--")`,
        );
    }
    return { stack, pulumiArgs };
}
