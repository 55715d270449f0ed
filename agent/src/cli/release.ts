// `release [ID | --all | --expired]`: end holds (your own by default). Reads holdsDir entry by
// entry without the per-sample bounds (holds-scan.ts), so it reaches every hold however many
// files the directory holds; `--expired` as root is the cleanup that the unit runs at each start.
import { userInfo } from "node:os";
import { errorMessage, RuntimeError, UsageError } from "../../../common/errors";
import { removeHold, tryRemoveEntry } from "../signals/holds";
import { forEachHoldEntry, HoldEntry } from "../signals/holds-scan";
import { Command } from "./command";
import { out } from "./output";

/** Entries with other names (a hold being written is one for milliseconds) are removed by --expired once this old. */
const LEFTOVER_MS = 3600 * 1000;

export const releaseCommand: Command = {
    name: "release",
    usage: "release [ID | --all | --expired]",
    synopsis: "release [ID | --all | --expired]",
    summary: "end your holds (or one, or all you may remove)",
    description: `Without arguments: releases all of your own holds. ID: that hold. --all: every hold you are
allowed to remove (root: all). --expired: removes the expired holds, and files in the holds
directory that are not holds, that you may remove (root: all); prints how many.
`,
    options: [{ flag: "--all" }, { flag: "--expired" }],
    maxPositionals: 1,
    run(inv) {
        const c = inv.config();
        const id = inv.positionals[0];
        const all = inv.flags.has("--all");
        const expired = inv.flags.has("--expired");
        if ([id !== undefined, all, expired].filter(Boolean).length > 1) throw new UsageError("release: give an ID, --all or --expired, not several");
        const now = inv.clock.wall();
        if (id !== undefined) return releaseOne(c.holdsDir, id, now);
        if (expired) return releaseExpired(c.holdsDir, now);
        const uid = process.getuid?.() ?? -1;
        const failed: string[] = [];
        let n = 0;
        forEachHoldEntry(c.holdsDir, now, (e) => {
            if (e.kind !== "active" && e.kind !== "expired") return;
            if (!all && e.hold.uid !== uid) return;
            n++;
            try {
                removeHold(c.holdsDir, e.hold.id);
                out(`released ${e.hold.id}${e.hold.reason ? ` "${e.hold.reason}"` : ""}`);
            } catch (err) {
                failed.push(errorMessage(err));
            }
        });
        if (n === 0) out(all ? "no holds" : `no holds of ${userInfo().username}`);
        if (failed.length > 0)
            throw new RuntimeError(`${failed.length} hold(s) not released: ${failed.slice(0, 5).join("; ")}${failed.length > 5 ? "; ..." : ""}`);
        return 0;
    },
};

function releaseOne(holdsDir: string, id: string, now: number): number {
    const matches: string[] = [];
    forEachHoldEntry(holdsDir, now, (e) => {
        if ((e.kind === "active" || e.kind === "expired") && e.hold.id.startsWith(id) && matches.length < 2) matches.push(e.hold.id);
    });
    if (matches.length > 1) throw new UsageError(`release: "${id}" matches several holds`);
    removeHold(holdsDir, matches[0] ?? id);
    out(`released ${matches[0] ?? id}`);
    return 0;
}

/** Whether --expired removes this entry: expired holds, hold-named files that are no hold, old leftovers. */
function stale(e: HoldEntry, now: number): boolean {
    if (e.kind === "expired" || e.kind === "invalid") return true;
    return e.kind === "other" && now - e.ctimeMs > LEFTOVER_MS;
}

function releaseExpired(holdsDir: string, now: number): number {
    let removed = 0;
    let notYours = 0;
    forEachHoldEntry(holdsDir, now, (e) => {
        if (!stale(e, now)) return;
        if (tryRemoveEntry(holdsDir, e.name)) removed++;
        else notYours++;
    });
    out(
        `removed ${removed} expired hold file${removed === 1 ? "" : "s"}${notYours > 0 ? `; ${notYours} more belong to others (only they or root may remove them)` : ""}`,
    );
    return 0;
}
