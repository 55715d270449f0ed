// The backlog on disk: append-only JSONL (one datapoint per line) under stateDir, rewritten
// atomically (temp + rename) when delivered points are removed. A torn last line (crash while
// appending) is skipped on load.
import { appendFileSync, readFileSync, unlinkSync } from "node:fs";
import { errnoCode } from "./errors";
import { Datapoint, isDatapoint } from "./datapoint";
import { writeFileAtomic } from "./fsutil";

export class Spool {
    constructor(readonly path: string) {}

    load(): Datapoint[] {
        let text: string;
        try {
            text = readFileSync(this.path, "utf8");
        } catch (e) {
            if (errnoCode(e) === "ENOENT") return [];
            throw e;
        }
        const out: Datapoint[] = [];
        for (const line of text.split("\n")) {
            if (line.trim() === "") continue;
            try {
                const v: unknown = JSON.parse(line);
                if (isDatapoint(v)) out.push(v);
            } catch {
                /* torn line */
            }
        }
        return out;
    }

    append(points: Datapoint[]): void {
        if (points.length === 0) return;
        appendFileSync(this.path, points.map((p) => `${JSON.stringify(p)}\n`).join(""), { mode: 0o600 });
    }

    rewrite(points: Datapoint[]): void {
        if (points.length === 0) {
            try {
                unlinkSync(this.path);
            } catch (e) {
                if (errnoCode(e) !== "ENOENT") throw e;
            }
            return;
        }
        writeFileAtomic(this.path, points.map((p) => `${JSON.stringify(p)}\n`).join(""), 0o600);
    }
}
