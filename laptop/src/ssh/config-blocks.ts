/**
 * The marked blocks `idle-stop ssh-config` keeps in ~/.ssh/config, one per stack, and what the
 * file says before a block: a `Host` line matching one of its aliases wins over it, since ssh
 * takes each option from the first section that matches (docs/reference/laptop.md#ssh-config).
 */
import { RuntimeError } from "../../../common/errors";
import { printable, quotedPrintable } from "../../../common/printable";

export const endMarker = "# END idle-stop ssh-config";
const beginPrefix = "# BEGIN idle-stop ssh-config (stack ";

/** A Pulumi stack name (`dev`, `org/project/dev`): nothing ssh_config or a shell would read as syntax. */
export const STACK_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,100}(?:\/[A-Za-z0-9_.-]{1,100}){0,2}$/;
export const STACK_NAME_ALLOWED = "a stack name: letters, digits, '_', '.', '-', optionally as org/project/stack";

export function beginLine(stack: string): string {
    return `${beginPrefix}${stack}; \`npx idle-stop ssh-config --write\` rewrites this block)`;
}

interface Span {
    readonly start: number;
    readonly end: number;
}

/** Where the block of `stack` is in `text` (from its BEGIN line through its END line's newline). */
function findBlock(text: string, stack: string): Span | undefined {
    const lines = text.split("\n");
    let offset = 0;
    let start: number | undefined;
    for (const line of lines) {
        const bare = line.replace(/\r$/, "");
        if (start === undefined && bare.startsWith(beginPrefix)) {
            const named = bare.slice(beginPrefix.length).split(/[;)]/)[0];
            if (named === stack) start = offset;
        } else if (start !== undefined && bare.startsWith(beginPrefix)) {
            throw new RuntimeError(`the ssh config's block for stack ${quotedPrintable(stack)} has no "${endMarker}" line; fix the file by hand`);
        } else if (start !== undefined && bare.startsWith(endMarker)) {
            return { start, end: Math.min(text.length, offset + line.length + 1) };
        }
        offset += line.length + 1;
    }
    if (start !== undefined)
        throw new RuntimeError(
            `the ssh config has the BEGIN line of stack ${quotedPrintable(stack)} but no "${endMarker}" line after it; fix the file by hand`,
        );
    return undefined;
}

/**
 * The file with the block of `stack` replaced by `block` (appended when it has none), or removed
 * when `block` is undefined (with the blank line --write put before it). Everything else unchanged.
 */
export function withStackBlock(existing: string, stack: string, block: string | undefined): string {
    const span = findBlock(existing, stack);
    if (span === undefined) {
        if (block === undefined || existing === "") return block ?? existing;
        return `${existing}${existing.endsWith("\n") ? "" : "\n"}\n${block}`;
    }
    if (block !== undefined) return existing.slice(0, span.start) + block + existing.slice(span.end);
    let head = existing.slice(0, span.start);
    if (head.endsWith("\n\n")) head = head.slice(0, -1);
    const rest = existing.slice(span.end);
    return head === "\n" && rest === "" ? "" : head + rest;
}

/** Where the block of `stack` starts, or the end of the file where --write would append it. */
export function blockOffset(existing: string, stack: string): number {
    return findBlock(existing, stack)?.start ?? existing.length;
}

/** One ssh_config pattern (`*`, `?`, `!`-negation handled by the caller) against a host alias. */
function patternMatches(pattern: string, alias: string): boolean {
    const re = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${re}$`, "i").test(alias);
}

/** Whether a `Host` line's pattern list (comma- or space-separated, `!` negates) matches `alias`. */
function hostLineMatches(patterns: string[], alias: string): boolean {
    let matched = false;
    for (const raw of patterns.flatMap((p) => p.split(","))) {
        if (raw === "") continue;
        const negated = raw.startsWith("!");
        if (patternMatches(negated ? raw.slice(1) : raw, alias)) {
            if (negated) return false;
            matched = true;
        }
    }
    return matched;
}

/** The options a block sets, or that send a connection elsewhere: set earlier, they win over ours. */
const contested = new Set(["hostname", "user", "port", "hostkeyalias", "proxycommand", "proxyjump"]);

export interface EarlierHost {
    /** 1-based line number of the `Host` line. */
    readonly line: number;
    readonly text: string;
    readonly alias: string;
    readonly options: string[];
}

/**
 * The `Host` sections before `offset` that match one of `aliases` and set one of the options
 * the block sets (or HostName/ProxyJump): ssh would take those from there, not from the block.
 * A `Host *` that only sets, say, ServerAliveInterval is not reported.
 */
export function earlierHosts(text: string, offset: number, aliases: string[]): EarlierHost[] {
    const found: EarlierHost[] = [];
    const lines = text.slice(0, offset).split("\n");
    let section: { line: number; text: string; patterns: string[]; options: Set<string> } | undefined;
    const close = (): void => {
        if (section === undefined) return;
        for (const alias of aliases) {
            const options = [...section.options].filter((o) => contested.has(o));
            if (options.length > 0 && hostLineMatches(section.patterns, alias))
                found.push({ line: section.line, text: section.text, alias, options });
        }
    };
    lines.forEach((raw, index) => {
        const line = raw.replace(/\r$/, "").trim();
        if (line === "" || line.startsWith("#")) return;
        const [keyword, ...args] = line.split(/[\s=]+/);
        const key = keyword.toLowerCase();
        if (key === "host" || key === "match") {
            close();
            section =
                key === "host"
                    ? { line: index + 1, text: printable(line, 200), patterns: args.filter((a) => !a.startsWith("#")), options: new Set() }
                    : undefined;
        } else if (section !== undefined) {
            section.options.add(key);
        }
    });
    close();
    return found;
}
