/** The help texts, generated from what each command declares (cli/command.ts): they cannot drift from the code. */
import { Command, CommandOption } from "./command";

const intro = `usage: idle-stop COMMAND [OPTIONS]   (npx idle-stop ... from the repository root)

Reach and manage the dev boxes this repository's Pulumi stack watches, from your own machine.
AWS credentials and endpoints come from the AWS SDK's standard chain (AWS_PROFILE, SSO,
AWS_ACCESS_KEY_ID..., AWS_REGION, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_CLOUDWATCH).
`;

const outro = `exit codes: 0 success, 1 failure (one line on stderr), 2 bad usage
`;

/** Where the general help's descriptions start. */
const summaryColumn = 31;

/** `term` then `text`, in two columns; a term too long for its column gets a line of its own. */
function twoColumns(indent: number, width: number, term: string, text: string): string {
    const lines = text.split("\n").join(`\n${" ".repeat(indent + width)}`);
    const head = " ".repeat(indent) + term;
    return term.length + 2 <= width ? head.padEnd(indent + width) + lines : `${head}\n${" ".repeat(indent + width)}${lines}`;
}

/** `idle-stop --help` (and, on stderr, `idle-stop` alone). */
export function generalHelp(commands: readonly Command[]): string {
    const width = summaryColumn - 2;
    const entries = commands.map((c) => twoColumns(2, width, [c.name, c.usage[0]].filter(Boolean).join(" "), c.summary));
    const helpEntry = [
        twoColumns(2, width, "-h, --help", "help (also: idle-stop COMMAND --help)"),
        twoColumns(2, width, "-V, --version", "this command's version (also: idle-stop COMMAND --version)"),
    ].join("\n");
    return `${intro}\ncommands:\n${entries.join("\n")}\n\n${helpEntry}\n\n${outro}`;
}

function optionTerm(option: CommandOption): string {
    return option.value === undefined ? `--${option.name}` : `--${option.name} ${option.value}`;
}

/** `idle-stop COMMAND --help`: usage, description, then the options, one column wider than the longest. */
export function commandHelp(command: Command): string {
    const head = `usage: idle-stop ${command.name} `;
    const usage = head + command.usage.join(`\n${" ".repeat(head.length)}`);
    let text = `${usage.trimEnd()}\n\n${command.description}\n`;
    if (command.options.length > 0) {
        const width = Math.max(...command.options.map((o) => optionTerm(o).length)) + 3;
        text += `\n${command.options.map((o) => twoColumns(2, width, optionTerm(o), o.description)).join("\n")}\n`;
    }
    return text;
}
