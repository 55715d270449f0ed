// `hold DURATION`: keep the instance awake for a while (a hold file in holdsDir).
import { UsageError } from "../../../common/errors";
import { createHold } from "../signals/holds";
import { formatDuration, parseDuration } from "../system/duration";
import { Command, optionValue } from "./command";
import { out } from "./output";

export const holdCommand: Command = {
    name: "hold",
    usage: "hold DURATION [--reason TEXT]",
    synopsis: "hold DURATION [--reason TEXT]",
    summary: "keep the instance awake, e.g. 90m, 2h, 1h30m",
    description: `Keeps the instance awake for DURATION (e.g. 45s, 90m, 2h, 1h30m, 1d; at most 7d). The hold
counts as one active session until it expires or is released. Prints its id and expiry.
At most 10 holds per user count; no hold counts longer than 7d after its file was written.
`,
    options: [{ flag: "--reason", value: "TEXT" }],
    maxPositionals: 1,
    run(inv) {
        const c = inv.config();
        const duration = inv.positionals[0];
        if (duration === undefined) throw new UsageError('hold: DURATION is required, e.g. hold 2h --reason "nightly build"');
        const ms = parseDuration(duration);
        const h = createHold(c.holdsDir, { durationMs: ms, reason: optionValue(inv, "--reason") }, inv.clock.wall());
        out(`hold ${h.id} until ${h.expiresAt} (${formatDuration(ms)})${h.reason ? ` "${h.reason}"` : ""}`);
        return 0;
    },
};
