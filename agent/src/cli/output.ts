// Output helpers shared by the commands: one line (or block) to stdout, durations for people.
import { formatDuration } from "../system/duration";

export function out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** How long ago (or until), never negative: "1h30m". */
export function ago(ms: number): string {
    return formatDuration(Math.max(0, ms));
}
