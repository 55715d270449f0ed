// The agent's command line, parsed once for every command: options may stand before or after the
// command name, `--` ends them (keep-awake's command follows), `help` or -h/--help asks for help.
import { UsageError } from "../../../common/errors";

export interface Parsed {
    command: string | undefined;
    positionals: string[];
    flags: Map<string, string | true>;
    /** Everything after `--` (keep-awake's command). */
    rest: string[] | null;
    help: boolean;
    configPath: string | undefined;
}

/** `valued`: the options that take a value (every command's, and --config). */
export function parseArgs(argv: string[], valued: ReadonlySet<string>): Parsed {
    const p: Parsed = { command: undefined, positionals: [], flags: new Map(), rest: null, help: false, configPath: undefined };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            p.rest = argv.slice(i + 1);
            break;
        }
        if (a === "-h" || a === "--help" || (a === "help" && p.command === undefined)) {
            p.help = true;
            continue;
        }
        if (a.startsWith("--")) {
            const eq = a.indexOf("=");
            const name = eq > 0 ? a.slice(0, eq) : a;
            let value: string | true = true;
            if (valued.has(name)) {
                if (eq > 0) value = a.slice(eq + 1);
                else if (i + 1 < argv.length) value = argv[++i];
                else throw new UsageError(`${name} needs a value`);
            } else if (eq > 0) {
                throw new UsageError(`${name} takes no value`);
            }
            if (name === "--config") p.configPath = value as string;
            else p.flags.set(name, value);
            continue;
        }
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
        if (p.command === undefined) p.command = a;
        else p.positionals.push(a);
    }
    return p;
}

/** Rejects flags a command does not know and too many positionals. */
export function expect(p: Parsed, allowedFlags: string[], maxPositionals: number): void {
    for (const f of p.flags.keys()) {
        if (!allowedFlags.includes(f)) throw new UsageError(`${p.command}: unknown option ${f}`);
    }
    if (p.positionals.length > maxPositionals) throw new UsageError(`${p.command}: unexpected argument "${p.positionals[maxPositionals]}"`);
}
