// Bench variant (not shipped): /proc files read with readFileSync, as the agent did before
// agent/src/system/proc-read.ts (open, fstat, read until EOF, close, a fresh buffer each time).
import { readFileSync } from "node:fs";

export function readProcFile(path: string): string | null {
    try {
        return readFileSync(path, "utf8");
    } catch {
        return null;
    }
}
