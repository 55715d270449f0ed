// `once`: one sample, published with any backlog, then exit (for cron).
import { requirePublishing } from "../config";
import { runOnce } from "../daemon/once";
import { Command } from "./command";

export const onceCommand: Command = {
    name: "once",
    usage: "once",
    synopsis: "once",
    summary: "sample and publish one datapoint (and any backlog), then exit",
    description: `Takes one sample (sessions + holds) and publishes it as this period's datapoint, together with
any backlog left by earlier failures; for cron. Exit 1 if publishing failed (the datapoints stay
in the backlog under stateDir for the next attempt). One sample measures nothing over time: busy
processes, a busy GPU and transfers are not counted (only \`run\` measures them).
`,
    options: [],
    maxPositionals: 0,
    run: (inv) => runOnce(requirePublishing(inv.config()), { clock: inv.clock }),
};
