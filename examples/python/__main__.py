"""idle-stop from Python: watch one existing (adopted) EC2 instance.

    pulumi package add ../..        # generates the SDK (pulumi_idle_stop) into sdks/idle-stop
    pulumi stack init dev
    pulumi config set aws:region eu-west-1
    pulumi config set instanceId i-0123456789abcdef0
    pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519
    pulumi up

The instance is only looked up, never modified; `pulumi destroy` removes the alarms, the agent's
IAM user and the agent on the box, and leaves the instance as it was.
"""
import pulumi
import pulumi_idle_stop as idle_stop

config = pulumi.Config()

devbox = idle_stop.IdleStop(
    "devbox",
    instance_id=config.require("instanceId"),
    idle_minutes=30,
    credentials="iam-user",
    ssh={
        "user": config.get("sshUser") or "ec2-user",
        "private_key": config.require_secret("sshPrivateKey"),
    },
    tags={"team": "platform"},
)

pulumi.export("sshCommand", devbox.ssh_command)
pulumi.export("alarmConsoleUrl", devbox.alarm_console_url)
pulumi.export("silentAlarmConsoleUrl", devbox.silent_alarm_console_url)
