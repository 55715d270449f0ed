export const USAGE = `usage: idle-stop-agent.js COMMAND [OPTIONS]

Counts SSH sessions in use (terminal input, client traffic), other terminals with input and
keep-awake holds, and publishes them to CloudWatch so an alarm can stop this instance after N
idle minutes.

commands:
  sessions [--json]                   authenticated SSH sessions now
  once                                sample and publish one datapoint (and any backlog), then exit
  run                                 the daemon: sample, publish, retry, until SIGTERM
  status [--json]                     sessions, holds, last publish, backlog, idle so far
  hold DURATION [--reason TEXT]       keep the instance awake, e.g. 90m, 2h, 1h30m
  release [ID | --all]                end your holds (or one, or all you may remove)
  keep-awake -- CMD [ARGS...]         keep awake while CMD runs; exit with CMD's code

common options:
  --config FILE   agent config (default /etc/idle-stop/agent.json)
  -h, --help      help (also: COMMAND --help)

exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config
`;

export const COMMAND_HELP: Record<string, string> = {
    sessions: `usage: idle-stop-agent.js sessions [--json] [--config FILE]

Lists authenticated SSH sessions from /proc: one per connection (multiplexed channels count
once), root included, pre-authentication connections and look-alike processes excluded.
--json prints {"count": N, "sessions": [{"pid", "user", "tty", "since", ...}]}.
`,
    once: `usage: idle-stop-agent.js once [--config FILE]

Takes one sample (sessions + holds) and publishes it as this period's datapoint, together with
any backlog left by earlier failures; for cron. Exit 1 if publishing failed (the datapoints stay
in the backlog under stateDir for the next attempt).
`,
    run: `usage: idle-stop-agent.js run [--config FILE]

The daemon. Samples every sampleSeconds, publishes one datapoint per publishSeconds period
(Maximum = most sessions+holds seen by any sample), keeps undelivered datapoints in
<stateDir>/spool.jsonl and retries with backoff. After a fresh boot (or its first start) the
first period counts as in use, which re-arms an alarm left in ALARM by the last stop; the agent
has no permission on alarms. SIGTERM/SIGINT publish the current partial period and exit 0. Writes <stateDir>/status.json after every sample.
`,
    status: `usage: idle-stop-agent.js status [--json] [--config FILE]

Shows sessions (who, terminal or "no terminal", since when, idle for how long, whether they
count as in use), terminals sshd did not open that had input, keep-awake holds, the last
successful publish, the backlog, minutes idle so far and when the alarm would stop the instance
(needs idleMinutes in the config). --json: connected, active, idleSince, stopExpectedAt, and per
session inUse and idleSeconds (null where unknown). Works for any user: reads the daemon's world-readable <stateDir>/status.json.
`,
    hold: `usage: idle-stop-agent.js hold DURATION [--reason TEXT] [--config FILE]

Keeps the instance awake for DURATION (e.g. 45s, 90m, 2h, 1h30m, 1d; at most 7d). The hold
counts as one active session until it expires or is released. Prints its id and expiry.
At most 10 holds per user count; no hold counts longer than 7d after its file was written.
`,
    release: `usage: idle-stop-agent.js release [ID | --all] [--config FILE]

Without arguments: releases all of your own holds. ID: that hold. --all: every hold you are
allowed to remove (root: all).
`,
    "keep-awake": `usage: idle-stop-agent.js keep-awake [--reason TEXT] [--config FILE] -- CMD [ARGS...]

Runs CMD with a hold that lasts while it runs. Signals are forwarded to CMD (SIGINT only when
not on a terminal, which delivers it to CMD itself). Exits with CMD's exit code (128+N if CMD
died from signal N, 127 if it could not be started). The hold ends with CMD, and also when
keep-awake itself is killed (the hold records its pid and start time). Signals ignored when
keep-awake started (nohup's SIGHUP) stay ignored, for keep-awake and for CMD.
`,
};
