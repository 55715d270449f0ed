// Reading small /proc files cheaply: the daemon reads one per process every sample, so the cost
// per file is most of its CPU. open + one read into a reused buffer + close: procfs returns a
// whole comm/stat/status/cmdline in one read when the buffer is big enough (readFileSync would add
// an fstat, a second read for EOF and a fresh buffer each time).
import { closeSync, openSync, readSync } from "node:fs";

let buf = Buffer.allocUnsafe(4096);

/** The file's text, or null when it is gone or not ours to read. */
export function readProcFile(path: string): string | null {
    let fd: number;
    try {
        fd = openSync(path, "r");
    } catch {
        return null;
    }
    try {
        let len = 0;
        for (;;) {
            const n = readSync(fd, buf, len, buf.length - len, null);
            len += n;
            // A short read is the end for procfs; a full buffer may mean more (a long cmdline).
            if (n === 0 || len < buf.length) break;
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, len);
            buf = bigger;
        }
        return buf.toString("utf8", 0, len);
    } catch {
        return null; // exited between open and read
    } finally {
        closeSync(fd);
    }
}
