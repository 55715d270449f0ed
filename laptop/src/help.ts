export const USAGE = `usage: idle-stop COMMAND [OPTIONS]   (npx idle-stop ... from the repository root)

Reach and manage the dev boxes this repository's Pulumi stack watches, from your own machine.
AWS credentials and endpoints come from the AWS SDK's standard chain (AWS_PROFILE, SSO,
AWS_ACCESS_KEY_ID..., AWS_REGION, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_CLOUDWATCH).

commands:
  proxy --instance-id ID [--region R] [--port 22] [--address auto|public|private]
                               SSH ProxyCommand: wake the box if it sleeps, then relay
  ssh-config [--stack NAME] [--write]
                               Host blocks (ProxyCommand = this command) for ~/.ssh/config
  status [--stack NAME] [--json]
                               state, idle alarm, last datapoint, minutes idle, expected stop
  start NAME [--stack NAME]    start a watched box and wait until it runs
  stop NAME [--stack NAME]     stop a watched box
  deploy [--stack NAME] [-- PULUMI-ARGS]
                               pulumi up; wakes the boxes the agent must be pushed to first
                               and puts them back to sleep afterwards (npm run deploy)
  destroy [--stack NAME] [-- PULUMI-ARGS]
                               pulumi destroy; wakes every box so the agent can be uninstalled,
                               puts adopted boxes back to sleep afterwards (npm run destroy)

  -h, --help                   help (also: idle-stop COMMAND --help)

exit codes: 0 success, 1 failure (one line on stderr), 2 bad usage
`;

export const COMMAND_HELP: Record<string, string> = {
    proxy: `usage: idle-stop proxy --instance-id ID [--region R] [--port 22] [--address auto|public|private]
                       [--timeout SECONDS] [--name LABEL] [--profile NAME]

An SSH ProxyCommand (ssh -o ProxyCommand='idle-stop proxy --instance-id i-...'). A stopped
instance is started (exactly one StartInstances), a stopping one is waited for and then started,
a pending one is waited for. Then the instance's CURRENT address is read (a stop/start changes the
public IP), the port is dialled until it accepts, and stdin/stdout are relayed to it.

Progress goes to stderr ("devbox is stopped; starting it ... 23 s"); stdout carries only the SSH
stream. Fails with one line and exit 1 for a terminated or unknown instance, a missing permission
(ec2:DescribeInstances, ec2:StartInstances), missing credentials, or a timeout.

  --instance-id ID    the instance (required)
  --region R          its region (default: the SDK's, e.g. AWS_REGION or the profile's)
  --port N            SSH port (default 22)
  --address A         auto (public IP if any, else private; default), public, private
  --timeout SECONDS   give up after this long (default 300)
  --name LABEL        how progress names the box (default: its Name tag, else its id)
  --profile NAME      AWS profile (default: AWS_PROFILE, else the default profile); ssh-config
                      writes the AWS_PROFILE it ran with, since ssh started by an editor may not
                      have your shell's environment
`,
    "ssh-config": `usage: idle-stop ssh-config [--stack NAME] [--write]

Prints one Host block per watched instance of the stack (from \`pulumi stack output\`): the
entry's name as host alias, its SSH user and port, HostKeyAlias = the instance id (the address
changes at every start; the host key does not), and ProxyCommand = this command by absolute path
(with --profile when AWS_PROFILE is set, so it works from editors that lack your shell's environment).

  --stack NAME   Pulumi stack (default: IDLE_STOP_STACK, else the selected stack)
  --write        keep these blocks in ~/.ssh/config between "# BEGIN idle-stop" and
                 "# END idle-stop" markers (one marked block per stack), leaving every other
                 byte of the file as it was; the previous file is kept as ~/.ssh/config.idle-stop.bak.
                 Running it again with nothing changed changes nothing.
`,
    status: `usage: idle-stop status [--stack NAME] [--json]

Per watched instance: EC2 state, the idle alarm's state, the last datapoint and its value,
minutes idle so far, when the alarm is expected to stop the box, the silent-agent alarm's state.
Needs ec2:DescribeInstances, cloudwatch:DescribeAlarms, cloudwatch:GetMetricData.

  --stack NAME   Pulumi stack (default: IDLE_STOP_STACK, else the selected stack)
  --json         one JSON array, one object per instance
`,
    start: `usage: idle-stop start NAME [--stack NAME]

Starts the watched instance NAME (an entry of the stack) and waits until it runs. The agent
re-arms its idle alarm at boot, so it is stopped again after idleMinutes without a session.
`,
    stop: `usage: idle-stop stop NAME [--stack NAME]

Stops the watched instance NAME now (StopInstances), without waiting for the idle alarm.
`,
    deploy: `usage: idle-stop deploy [--stack NAME] [-- PULUMI-ARGS...]

\`pulumi up\` that works while boxes sleep (what \`npm run deploy\` runs). When a watched box is
stopped, a preview (run with the boxes' last known addresses) tells whether its agent must be
pushed again; only then is it started, and the run uses its CURRENT address
(IDLE_STOP_SSH_HOSTS). Boxes it started are stopped again afterwards, also when pulumi fails.
PULUMI-ARGS go to \`pulumi up\` (e.g. --yes).
`,
    destroy: `usage: idle-stop destroy [--stack NAME] [-- PULUMI-ARGS...]

\`pulumi destroy\` that works while boxes sleep (what \`npm run destroy\` runs). The agent's
uninstall runs over SSH with the connection Pulumi stored, so every watched box is started first,
its stored address is brought up to date (\`pulumi up --target\` on the agent commands whose
address changed), then \`pulumi destroy\` runs. Adopted boxes that were asleep are stopped again
afterwards; created ones are terminated by the destroy. PULUMI-ARGS go to \`pulumi destroy\`.
`,
};
