// `release [ID | --all]`: end holds (your own by default).
import { userInfo } from "node:os";
import { errorMessage, RuntimeError, UsageError } from "../../../common/errors";
import { Hold, removeHold, scanHolds } from "../signals/holds";
import { Command } from "./command";
import { out } from "./output";

export const releaseCommand: Command = {
    name: "release",
    usage: "release [ID | --all]",
    synopsis: "release [ID | --all]",
    summary: "end your holds (or one, or all you may remove)",
    description: `Without arguments: releases all of your own holds. ID: that hold. --all: every hold you are
allowed to remove (root: all).
`,
    options: [{ flag: "--all" }],
    maxPositionals: 1,
    run(inv) {
        const c = inv.config();
        const id = inv.positionals[0];
        const all = inv.flags.has("--all");
        if (id !== undefined && all) throw new UsageError("release: give an ID or --all, not both");
        const now = inv.clock.wall();
        const everyHold = (): Hold[] => {
            const scan = scanHolds(c.holdsDir, now);
            return [...scan.active, ...scan.expired];
        };
        if (id !== undefined) {
            const matches = everyHold().filter((h) => h.id.startsWith(id));
            if (matches.length > 1) throw new UsageError(`release: "${id}" matches several holds`);
            removeHold(c.holdsDir, matches[0]?.id ?? id);
            out(`released ${matches[0]?.id ?? id}`);
            return 0;
        }
        const uid = process.getuid?.() ?? -1;
        const targets = everyHold().filter((h) => all || h.uid === uid);
        const failed: string[] = [];
        for (const h of targets) {
            try {
                removeHold(c.holdsDir, h.id);
                out(`released ${h.id}${h.reason ? ` "${h.reason}"` : ""}`);
            } catch (e) {
                failed.push(errorMessage(e));
            }
        }
        if (targets.length === 0) out(all ? "no holds" : `no holds of ${userInfo().username}`);
        if (failed.length > 0) throw new RuntimeError(`${failed.length} hold(s) not released: ${failed.join("; ")}`);
        return 0;
    },
};
