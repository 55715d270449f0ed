// `run`: the daemon, until SIGTERM/SIGINT.
import { requirePublishing } from "../config";
import { runDaemon } from "../daemon/daemon";
import { Command } from "./command";

export const runCommand: Command = {
    name: "run",
    usage: "run",
    synopsis: "run",
    summary: "the daemon: sample, publish, retry, until SIGTERM",
    description: `The daemon. Samples every sampleSeconds, publishes one datapoint per publishSeconds period
(Maximum = most sessions+holds seen by any sample), keeps undelivered datapoints in
<stateDir>/spool.jsonl and retries with backoff. After a fresh boot (or its first start) the
first period counts as in use, which re-arms an alarm left in ALARM by the last stop; the agent
has no permission on alarms. SIGTERM/SIGINT publish the current partial period and exit 0. Writes <stateDir>/status.json after every sample.
`,
    options: [],
    maxPositionals: 0,
    run: (inv) => runDaemon(requirePublishing(inv.config()), { clock: inv.clock }),
};
