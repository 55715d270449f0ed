// Names for uids, from /etc/passwd (node has no getpwuid). Names shown to users come from here,
// never from a field another user could write.
import { readFileSync } from "node:fs";

let byUid: Map<number, string> | null = null;

export function userName(uid: number): string | null {
    if (byUid === null) {
        byUid = new Map();
        try {
            for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
                const f = line.split(":");
                if (f.length >= 3 && /^\d+$/.test(f[2]) && !byUid.has(Number(f[2]))) byUid.set(Number(f[2]), f[0]);
            }
        } catch {
            /* no passwd: numeric ids */
        }
    }
    return byUid.get(uid) ?? null;
}
