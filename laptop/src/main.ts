// idle-stop laptop command: entry point and dispatch (SPEC.md section 7).
import { errorMessage, RuntimeError, UsageError } from "../../common/errors";
import { INSTANCE_ID_PATTERN } from "../../common/aws-ids";
import { choiceOption, integerOption, parseCommand, stringOption } from "./args";
import { COMMAND_HELP, USAGE } from "./help";
import { endProgressLine } from "./progress";
// Commands are loaded when used: `--help` and usage errors never pay for the AWS SDK's start-up.

const stackOption = { stack: { type: "string" } } as const;

async function main(argv: string[]): Promise<number> {
    // The SDK's "node < 22" notice would print on every `ssh devbox` (stderr of the ProxyCommand).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const [command, ...rest] = argv;
    if (command === undefined) {
        process.stderr.write(USAGE);
        return 2;
    }
    if (command === "-h" || command === "--help" || command === "help") {
        const topic = command === "help" ? rest[0] : undefined;
        if (topic !== undefined && !(topic in COMMAND_HELP)) throw new UsageError(`unknown command "${topic}"`);
        process.stdout.write(topic !== undefined ? COMMAND_HELP[topic] : USAGE);
        return 0;
    }
    if (!(command in COMMAND_HELP)) throw new UsageError(`unknown command "${command}"; see idle-stop --help`);
    const dashDash = rest.indexOf("--");
    const own = dashDash >= 0 ? rest.slice(0, dashDash) : rest;
    const passThrough = dashDash >= 0 ? rest.slice(dashDash + 1) : [];
    if (own.includes("-h") || own.includes("--help")) {
        process.stdout.write(COMMAND_HELP[command]);
        return 0;
    }
    if (dashDash >= 0 && command !== "deploy" && command !== "destroy") throw new UsageError(`${command}: unexpected "--"`);
    switch (command) {
        case "proxy": {
            const p = parseCommand(command, own, {
                "instance-id": { type: "string" }, region: { type: "string" }, port: { type: "string" },
                address: { type: "string" }, timeout: { type: "string" }, name: { type: "string" }, profile: { type: "string" },
            }, { min: 0, max: 0 });
            const instanceId = stringOption(p, "instance-id");
            if (instanceId === undefined) throw new UsageError("proxy: --instance-id is required");
            if (!INSTANCE_ID_PATTERN.test(instanceId)) throw new UsageError(`proxy: --instance-id ${JSON.stringify(instanceId)}: expected i- and 8 or 17 hex digits`);
            const { runProxy } = await import("./proxy");
            return runProxy({
                instanceId,
                region: stringOption(p, "region"),
                port: integerOption(command, p, "port", 22, 1, 65535),
                address: choiceOption(command, p, "address", ["auto", "public", "private"] as const, "auto"),
                timeoutSeconds: integerOption(command, p, "timeout", 300, 1, 3600),
                name: stringOption(p, "name"),
                profile: stringOption(p, "profile"),
            });
        }
        case "ssh-config": {
            const p = parseCommand(command, own, { ...stackOption, write: { type: "boolean" } }, { min: 0, max: 0 });
            const { runSshConfig } = await import("./ssh-config");
            return runSshConfig({ stack: stringOption(p, "stack"), write: p.values.write === true });
        }
        case "status": {
            const p = parseCommand(command, own, { ...stackOption, json: { type: "boolean" } }, { min: 0, max: 0 });
            const { runStatus } = await import("./status");
            return runStatus({ stack: stringOption(p, "stack"), json: p.values.json === true });
        }
        case "start":
        case "stop": {
            const p = parseCommand(command, own, stackOption, { min: 1, max: 1 });
            const { runStart, runStop } = await import("./status");
            const run = command === "start" ? runStart : runStop;
            return run({ stack: stringOption(p, "stack"), name: p.positionals[0] });
        }
        case "deploy":
        case "destroy": {
            // Everything but --stack goes to pulumi, so `npm run deploy -- --yes` works too.
            const pulumiArgs = [...passThrough];
            let stack: string | undefined;
            for (let i = 0; i < own.length; i++) {
                const arg = own[i];
                if (arg === "--stack") {
                    stack = own[++i];
                    if (stack === undefined) throw new UsageError(`${command}: --stack needs a value`);
                } else if (arg.startsWith("--stack=")) {
                    stack = arg.slice("--stack=".length);
                } else {
                    pulumiArgs.push(arg);
                }
            }
            const { runLifecycle } = await import("./lifecycle");
            return runLifecycle(command, { stack, pulumiArgs });
        }
    }
    throw new UsageError(`unknown command "${command}"`);
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
        if (code !== 0 || process.argv[2] !== "proxy") process.exit(code);
        // proxy: stdout may still be draining; exit once it has.
        process.stdout.write("", () => process.exit(code));
    },
    (e: unknown) => {
        endProgressLine();
        if (e instanceof UsageError) {
            process.stderr.write(`idle-stop: ${e.message}\n`);
            process.exit(2);
        }
        process.stderr.write(`idle-stop: ${e instanceof RuntimeError ? e.message : errorMessage(e)}\n`);
        process.exit(1);
    },
);
