// Where the installer puts things on the box, and the mark on the files it writes outside its
// own directories (docs/reference/installer.md lists them all).
export const PREFIX = "/opt/idle-stop";
export const ETC_DIR = "/etc/idle-stop";
export const STATE_DIR = "/var/lib/idle-stop";
export const AGENT_USER = "idle-stop";
export const MANIFEST = `${PREFIX}/manifest`;
export const WRAPPER = "/usr/local/bin/idle-stop";
export const PROFILE_SCRIPT = "/etc/profile.d/idle-stop.sh";
export const UNIT_NAME = "idle-stop-agent.service";
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
export const CRON_FILE = "/etc/cron.d/idle-stop";
export const SSHD_DROPIN = "/etc/ssh/sshd_config.d/60-idle-stop.conf";
export const DAEMON_SCRIPT = `${PREFIX}/idle-stop-daemon.sh`;
/** A file carrying this line is ours to overwrite even without a manifest entry (uninstall.sh uses it too). */
export const MARKER = "Installed by idle-stop";
