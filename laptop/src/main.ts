// idle-stop laptop command: arguments -> command (commands/) -> exit code (docs/reference/laptop.md).
import { errorMessage, RuntimeError, UsageError } from "../../common/errors";
import { printable } from "../../common/printable";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { endProgressLine } from "./cli/progress";
import { commandHelp, generalHelp } from "./cli/usage";
import { commands, findCommand } from "./commands";
import { repoRoot } from "./repo-root";
// Commands load their own dependencies when run: `--help` and usage errors never pay for the AWS SDK's start-up.

/** `idle-stop --version` and `idle-stop COMMAND --version`: this repository's package.json version. */
function printVersion(): number {
    const manifest: unknown = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const version = (manifest as { version?: unknown }).version;
    process.stdout.write(`idle-stop ${typeof version === "string" ? printable(version, 40) : "unknown"}\n`);
    return 0;
}

async function main(argv: string[]): Promise<number> {
    // The SDK's "node < 22" notice would print on every `ssh devbox` (stderr of the ProxyCommand).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const [name, ...rest] = argv;
    if (name === "--version" || name === "-V") return printVersion();
    if (name === undefined) {
        process.stderr.write(generalHelp(commands));
        return 2;
    }
    if (name === "-h" || name === "--help" || name === "help") {
        const topic = name === "help" ? rest[0] : undefined;
        if (topic === undefined) {
            process.stdout.write(generalHelp(commands));
            return 0;
        }
        const command = findCommand(topic);
        if (command === undefined) throw new UsageError(`unknown command "${topic}"`);
        process.stdout.write(commandHelp(command));
        return 0;
    }
    const command = findCommand(name);
    if (command === undefined) throw new UsageError(`unknown command "${name}"; see idle-stop --help`);
    const dashDash = rest.indexOf("--");
    const own = dashDash >= 0 ? rest.slice(0, dashDash) : rest;
    const passThrough = dashDash >= 0 ? rest.slice(dashDash + 1) : [];
    if (own.includes("--version")) return printVersion();
    if (own.includes("-h") || own.includes("--help")) {
        process.stdout.write(commandHelp(command));
        return 0;
    }
    if (dashDash >= 0 && command.passThrough !== true) throw new UsageError(`${name}: unexpected "--"`);
    return command.run(own, passThrough);
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        endProgressLine();
        if (e instanceof UsageError) {
            process.stderr.write(`idle-stop: ${printable(e.message, 2000)}\n`);
            process.exit(2);
        }
        // Messages quote values from outside (a tag, an endpoint's error): one line, no control sequences.
        process.stderr.write(`idle-stop: ${printable(e instanceof RuntimeError ? e.message : errorMessage(e), 2000)}\n`);
        process.exit(1);
    },
);
