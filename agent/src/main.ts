// idle-stop agent: the entry point. Runs one command line (cli/dispatch.ts) and exits with its
// code: 0 success, 1 runtime failure, 2 bad usage or bad config (docs/reference/agent.md).
import { errorMessage, RuntimeError, UsageError } from "../../common/errors";
import { runCommandLine } from "./cli/dispatch";
import { installCommand } from "./install";
import { systemClock } from "./system/clock";
import { quietOnClosedPipes } from "./system/stdio";

quietOnClosedPipes();
const argv = process.argv.slice(2);
// `install` is internal (run by install.sh, not in the help): it parses its own command line.
(argv[0] === installCommand.name ? installCommand.run(argv.slice(1)) : runCommandLine(argv, systemClock)).then(
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
