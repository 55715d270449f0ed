/** What a subcommand of the laptop command declares about itself; main.ts and the help read only this. */

export interface CommandOption {
    /** Without the dashes: `instance-id` for `--instance-id`. */
    readonly name: string;
    readonly type: "string" | "boolean";
    /** How the help names a string option's value: `N` in `--port N`. */
    readonly value?: string;
    /** A string option that may be given more than once (its values come as an array). */
    readonly multiple?: boolean;
    /** The help's text; "\n" starts a new line, indented under the first. */
    readonly description: string;
}

export interface Command {
    readonly name: string;
    /** What follows `idle-stop NAME` in its usage line, one entry per line; the general help shows the first. */
    readonly usage: readonly string[];
    /** The general help's line(s) on it; "\n" starts a new line. */
    readonly summary: string;
    /** `idle-stop NAME --help`: the text between the usage line and the options. */
    readonly description: string;
    readonly options: readonly CommandOption[];
    /** How many positional arguments it takes (default: none). */
    readonly positionals?: { readonly min: number; readonly max: number };
    /** Whether it accepts `-- ARGS...` (handed to run as passThrough); the others reject "--". */
    readonly passThrough?: boolean;
    /**
     * Runs it and returns the exit code. `argv` is what follows the command's name (up to "--").
     * It must keep its heavy imports (the AWS SDK) inside, as `await import(...)`: the registry
     * loads every command for the help, and `proxy` starts on every `ssh`.
     */
    run(argv: string[], passThrough: string[]): Promise<number>;
}
