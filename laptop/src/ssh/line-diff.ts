/** A unified-style diff of two texts, line by line: what `ssh-config --dry-run` prints. */

interface Op {
    kind: " " | "-" | "+";
    text: string;
}

/** The edit script between two line lists (longest common subsequence; ssh configs are short). */
function editScript(a: string[], b: string[]): Op[] {
    const n = a.length;
    const m = b.length;
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
    const ops: Op[] = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] === b[j]) {
            ops.push({ kind: " ", text: a[i++] });
            j++;
        } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
            ops.push({ kind: "+", text: b[j++] });
        } else {
            ops.push({ kind: "-", text: a[i++] });
        }
    }
    return ops;
}

function splitLines(text: string): string[] {
    if (text === "") return [];
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    return lines;
}

/** `--- from`, `+++ to`, then hunks with `context` lines around each change; "" when equal. */
export function unifiedDiff(before: string, after: string, from: string, to: string, context = 3): string {
    if (before === after) return "";
    // The common head and tail stay out of the quadratic part; they only supply context.
    const a = splitLines(before);
    const b = splitLines(after);
    let head = 0;
    while (head < a.length && head < b.length && a[head] === b[head]) head++;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
    const ops: Op[] = [
        ...a.slice(0, head).map((text): Op => ({ kind: " ", text })),
        ...editScript(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
        ...a.slice(a.length - tail).map((text): Op => ({ kind: " ", text })),
    ];
    const out = [`--- ${from}`, `+++ ${to}`];
    let index = 0;
    while (index < ops.length) {
        const change = ops.findIndex((op, k) => k >= index && op.kind !== " ");
        if (change < 0) break;
        const start = Math.max(index, change - context);
        let end = change;
        // Extend the hunk while the next change is within 2 * context unchanged lines.
        for (let k = change, quiet = 0; k < ops.length && quiet <= 2 * context; k++) {
            if (ops[k].kind === " ") quiet++;
            else {
                quiet = 0;
                end = k;
            }
        }
        const stop = Math.min(ops.length, end + 1 + context);
        const oldStart = ops.slice(0, start).filter((op) => op.kind !== "+").length;
        const newStart = ops.slice(0, start).filter((op) => op.kind !== "-").length;
        const hunk = ops.slice(start, stop);
        const oldCount = hunk.filter((op) => op.kind !== "+").length;
        const newCount = hunk.filter((op) => op.kind !== "-").length;
        out.push(`@@ -${oldStart + (oldCount ? 1 : 0)},${oldCount} +${newStart + (newCount ? 1 : 0)},${newCount} @@`);
        out.push(...hunk.map((op) => op.kind + op.text));
        index = stop;
    }
    return `${out.join("\n")}\n`;
}
