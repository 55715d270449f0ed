// One line per event on stderr, logfmt style (journald-friendly):
//   level=info event=published datapoints=3 backlog=0
import { systemClock } from "./clock";

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, string | number | boolean | null | undefined>;

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold: number = order[(process.env.IDLE_STOP_LOG_LEVEL as Level | undefined) ?? "info"] ?? order.info;
const withTime = process.env.IDLE_STOP_LOG_TIME === "1";

function quote(v: string): string {
    if (v !== "" && /^[^\s"=\\]+$/.test(v)) return v;
    return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function formatFields(fields: Fields): string {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        parts.push(`${k}=${quote(v === null ? "null" : String(v))}`);
    }
    return parts.join(" ");
}

export function log(level: Level, event: string, fields: Fields = {}): void {
    if (order[level] < threshold) return;
    const head: Fields = withTime ? { time: new Date(systemClock.wall()).toISOString(), level, event } : { level, event };
    process.stderr.write(`${formatFields({ ...head, ...fields })}\n`);
}
