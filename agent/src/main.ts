// idle-stop agent: entry point and command dispatch (SPEC section 5).
import { expect, parseArgs } from "./cli/args";
import { cmdHold, cmdKeepAwake, cmdRelease, cmdSessions, cmdStatus } from "./cli/commands";
import { DEFAULT_CONFIG_PATH, loadConfig, requirePublishing } from "./config";
import { runDaemon, runOnce } from "./daemon/daemon";
import { errorMessage, RuntimeError, UsageError } from "../../common/errors";
import { COMMAND_HELP, USAGE } from "./cli/help";
import { quietOnClosedPipes } from "./system/stdio";

async function main(argv: string[]): Promise<number> {
    const p = parseArgs(argv);
    if (p.help || p.command === undefined) {
        const text = p.command !== undefined ? COMMAND_HELP[p.command] : USAGE;
        if (text === undefined) throw new UsageError(`unknown command "${p.command}"\n${USAGE}`);
        if (!p.help) {
            process.stderr.write(USAGE);
            return 2;
        }
        process.stdout.write(text);
        return 0;
    }
    if (!(p.command in COMMAND_HELP)) throw new UsageError(`unknown command "${p.command}"\n${USAGE}`);
    if (p.rest !== null && p.command !== "keep-awake") throw new UsageError(`${p.command}: unexpected "--"`);
    const config = () => loadConfig(p.configPath ?? DEFAULT_CONFIG_PATH, p.configPath !== undefined);
    const json = p.flags.has("--json");
    switch (p.command) {
        case "sessions":
            expect(p, ["--json"], 0);
            return cmdSessions(config(), json);
        case "status":
            expect(p, ["--json"], 0);
            return cmdStatus(config(), json);
        case "once":
            expect(p, [], 0);
            return runOnce(requirePublishing(config()));
        case "run":
            expect(p, [], 0);
            return runDaemon(requirePublishing(config()));
        case "hold": {
            expect(p, ["--reason"], 1);
            const reason = p.flags.get("--reason");
            return cmdHold(config(), p.positionals[0], typeof reason === "string" ? reason : undefined);
        }
        case "release":
            expect(p, ["--all"], 1);
            return cmdRelease(config(), p.positionals[0], p.flags.has("--all"));
        case "keep-awake": {
            expect(p, ["--reason"], 0);
            const reason = p.flags.get("--reason");
            return cmdKeepAwake(config(), p.rest ?? [], typeof reason === "string" ? reason : undefined);
        }
    }
    throw new UsageError(`unknown command "${p.command}"`);
}

quietOnClosedPipes();
main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
        // Never hang on a stray handle once the command is done (a stopped daemon especially).
        setTimeout(() => process.exit(code), 2000).unref();
    },
    (e: unknown) => {
        if (e instanceof UsageError) {
            process.stderr.write(`idle-stop-agent: ${e.message}\n`);
            process.exit(2);
        }
        process.stderr.write(`idle-stop-agent: ${e instanceof RuntimeError ? e.message : errorMessage(e)}\n`);
        process.exit(1);
    },
);
