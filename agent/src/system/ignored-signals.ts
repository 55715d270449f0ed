// Signals that were ignored when keep-awake was started stay ignored (`nohup idle-stop keep-awake
// -- CMD &` must survive the logout's SIGHUP, for keep-awake and for CMD).
//
// Node resets every signal disposition to the default when it starts, so the process cannot see
// what its parent ignored: the `idle-stop` wrapper (a shell, which keeps ignored signals ignored)
// reads SigIgn from its own /proc/PID/status and passes the mask on in IDLE_STOP_SIGIGN.
// /proc/self/status is read too, for a runtime that keeps dispositions.
import { readFileSync } from "node:fs";

export const SIGIGN_ENV = "IDLE_STOP_SIGIGN";

/** Signal numbers of the SigIgn bit mask (hex, bit N-1 = signal N). */
function ignoredIn(mask: string | undefined): Set<number> {
    const out = new Set<number>();
    if (mask === undefined || !/^[0-9a-fA-F]{1,16}$/.test(mask.trim())) return out;
    const bits = BigInt(`0x${mask.trim()}`);
    for (let n = 1; n <= 64; n++) if ((bits >> BigInt(n - 1)) & 1n) out.add(n);
    return out;
}

/** Signals ignored by whoever started this process. */
export function inheritedIgnoredSignals(env: NodeJS.ProcessEnv = process.env): Set<number> {
    const out = ignoredIn(env[SIGIGN_ENV]);
    try {
        const m = /^SigIgn:\s*([0-9a-fA-F]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
        // Node itself ignores SIGPIPE (13) and SIGXFSZ (25): those say nothing about the parent.
        for (const n of ignoredIn(m?.[1])) if (n !== 13 && n !== 25) out.add(n);
    } catch {
        /* no /proc */
    }
    return out;
}
