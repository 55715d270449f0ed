// Text that someone else wrote (a hold's reason on the box, an EC2 Name tag, a stack output) made safe to show on a terminal.

/**
 * Control characters (C0, DEL, C1: escape sequences that could rewrite the reader's screen or
 * title), line and paragraph separators and the bidirectional overrides that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex
const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text with each unsafe character shown as "?", at most `max` characters long. */
export function printable(text: string, max = 200): string {
    return text.replace(unsafe, "?").slice(0, max);
}

/**
 * The text as a double-quoted string whose unsafe characters are escaped (`"dev\nbox"`,
 * `"\u001b[2J"`), so a warning shows exactly what a refused value held; at most `max` characters
 * of it are shown.
 */
export function quotedPrintable(text: string, max = 80): string {
    const shown = text.length > max ? `${text.slice(0, max)}...` : text;
    return JSON.stringify(shown).replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
