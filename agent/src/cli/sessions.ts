// `sessions`: the authenticated SSH sessions now, as a list or JSON.
import { listSessions } from "../signals/sessions";
import { assertProcVisible } from "../system/hidepid";
import { Command } from "./command";
import { ago, out } from "./output";

export const sessionsCommand: Command = {
    name: "sessions",
    usage: "sessions [--json]",
    synopsis: "sessions [--json]",
    summary: "authenticated SSH sessions now",
    description: `Lists authenticated SSH sessions from /proc: one per connection (multiplexed channels count
once), root included, pre-authentication connections and look-alike processes excluded.
--json prints {"count": N, "sessions": [{"pid", "user", "tty", "since", ...}]}.
`,
    options: [{ flag: "--json" }],
    maxPositionals: 0,
    run(inv) {
        const c = inv.config();
        assertProcVisible(c.procRoot, inv.clock.wall());
        const sessions = listSessions(c.procRoot);
        if (inv.flags.has("--json")) {
            out(JSON.stringify({ count: sessions.length, sessions }));
            return 0;
        }
        if (sessions.length === 0) {
            out("no authenticated SSH sessions");
            return 0;
        }
        const now = inv.clock.wall();
        out(`${sessions.length} authenticated SSH session${sessions.length === 1 ? "" : "s"}:`);
        for (const s of sessions) {
            out(
                `  ${s.user.padEnd(16)} ${(s.tty ?? "notty").padEnd(8)} pid ${String(s.pid).padEnd(7)} since ${s.since} (${ago(now - Date.parse(s.since))})`,
            );
        }
        return 0;
    },
};
