/**
 * Text another user wrote (a hold's reason, its command) made safe to print on a terminal:
 * control characters (C0, DEL, C1: escape sequences that could rewrite the reader's screen or
 * title) become "?", and the length is bounded.
 */
export function printable(text: string, max = 200): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, "?").slice(0, max);
}
