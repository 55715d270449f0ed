// The help texts, generated from the commands' own descriptions (registry.ts).
import { DEFAULT_CONFIG_PATH } from "../config";
import { Command } from "./command";

const PROGRAM = "idle-stop-agent.js";
/** Width of the command column in the top-level help. */
const SYNOPSIS_WIDTH = 36;

/** The top-level help: every command with its summary, the common options, the exit codes. */
export function usageText(commands: readonly Command[]): string {
    const list = commands.map((c) => `  ${c.synopsis.padEnd(SYNOPSIS_WIDTH)}${c.summary}`).join("\n");
    return `usage: ${PROGRAM} COMMAND [OPTIONS]

Counts SSH sessions in use (terminal input, client traffic), other terminals with input and
keep-awake holds, and publishes them to CloudWatch so an alarm can stop this instance after N
idle minutes.

commands:
${list}

common options:
  --config FILE   agent config (default ${DEFAULT_CONFIG_PATH})
  -h, --help      help (also: COMMAND --help)

exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config
`;
}

/** `COMMAND --help`: the usage line (with the common --config, before any `--`) and the description. */
export function commandHelp(c: Command): string {
    const dashes = c.usage.indexOf(" -- ");
    const usage = dashes < 0 ? `${c.usage} [--config FILE]` : `${c.usage.slice(0, dashes)} [--config FILE]${c.usage.slice(dashes)}`;
    return `usage: ${PROGRAM} ${usage}\n\n${c.description}`;
}
