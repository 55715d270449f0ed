// Durations on the command line (hold 1h30m) and in output, and the longest hold.
import { UsageError } from "../../../common/errors";

/** Longest hold a user may take in one go. */
export const MAX_HOLD_MS = 7 * 24 * 3600 * 1000;

/** Parses 90m, 2h, 1h30m, 45s, 1d (combinations in d/h/m/s order) into milliseconds. */
export function parseDuration(text: string): number {
    const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
    if (!m || text.trim() === "") {
        throw new UsageError(`bad duration "${text}": use e.g. 90m, 2h, 1h30m, 45s`);
    }
    const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? 0 : Number(x)));
    const ms = (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
    if (ms <= 0) throw new UsageError(`bad duration "${text}": must be longer than 0`);
    if (ms > MAX_HOLD_MS) throw new UsageError(`bad duration "${text}": at most 7d`);
    return ms;
}

/** 5400000 -> "1h30m". */
export function formatDuration(ms: number): string {
    let s = Math.max(0, Math.round(ms / 1000));
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const out = `${d ? `${d}d` : ""}${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s && !d && !h ? `${s}s` : ""}`;
    return out === "" ? "0s" : out;
}
