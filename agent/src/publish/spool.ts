// The backlog on disk: append-only JSONL (one datapoint per line) under stateDir, rewritten
// atomically (temp + rename) when delivered points are removed. A crash while appending can leave
// a last line without its newline; load() reports it and repair() rewrites the file from the
// points read (a complete tail is kept, a torn one dropped), so the next append starts on a line
// of its own instead of being glued to the fragment and lost with it.
import { appendFileSync, readFileSync, unlinkSync } from "node:fs";
import { errnoCode } from "../../../common/errors";
import { Datapoint, isDatapoint } from "./datapoint";
import { writeFileAtomic } from "../system/fs-util";

export class Spool {
    constructor(readonly path: string) {}

    /** Set by load(): the file ended in a line without a newline. */
    tornTail = false;

    load(): Datapoint[] {
        let text: string;
        try {
            text = readFileSync(this.path, "utf8");
        } catch (e) {
            if (errnoCode(e) === "ENOENT") return [];
            throw e;
        }
        this.tornTail = text !== "" && !text.endsWith("\n");
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

    /** Rewrites the file from `points` when load() found a torn tail. */
    repair(points: Datapoint[]): boolean {
        if (!this.tornTail) return false;
        this.rewrite(points);
        this.tornTail = false;
        return true;
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
