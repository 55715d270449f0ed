#!/bin/sh
# idle-stop uninstaller: removes what install.sh created, as recorded in /opt/idle-stop/manifest,
# and nothing else. Installed as /opt/idle-stop/uninstall.sh; run as root.
#
# usage: uninstall.sh [--release R]
#   --release R   remove the installation only when release R is the one installed (so the delete
#                 of a replaced deployment leaves the newer release alone); without it: always.
# Idempotent: running it again (or with nothing installed) succeeds and changes nothing.
set -eu

PREFIX=/opt/idle-stop
MANIFEST=$PREFIX/manifest
AGENT_USER=idle-stop
UNIT_NAME=idle-stop-agent.service
MARKER="Installed by idle-stop"
# What an installation can create, for when the manifest is missing (a broken installation):
# then only files carrying the installer's marker and the product's own directories are removed.
KNOWN_FILES="/etc/systemd/system/$UNIT_NAME /etc/cron.d/idle-stop /usr/local/bin/idle-stop /etc/profile.d/idle-stop.sh /etc/ssh/sshd_config.d/60-idle-stop.conf"
KNOWN_DIRS="/etc/idle-stop /var/lib/idle-stop $PREFIX"
SSHD_DROPIN=/etc/ssh/sshd_config.d/60-idle-stop.conf

say() { printf 'idle-stop uninstall: %s\n' "$*" >&2; }
die() {
    printf 'idle-stop uninstall: error: %s\n' "$*" >&2
    exit 1
}

release=""
while [ $# -gt 0 ]; do
    case $1 in
    --release)
        [ $# -ge 2 ] || {
            say "--release needs a value"
            exit 2
        }
        release=$2
        shift 2
        ;;
    -h | --help)
        echo "usage: uninstall.sh [--release R]"
        exit 0
        ;;
    *)
        say "unknown argument: $1 (usage: uninstall.sh [--release R])"
        exit 2
        ;;
    esac
done

[ "$(id -u)" = 0 ] || die "must run as root (sudo sh $0)"

if [ ! -d "$PREFIX" ] && [ ! -d /etc/idle-stop ] && [ ! -d /var/lib/idle-stop ]; then
    say "nothing installed"
    exit 0
fi

if [ -n "$release" ] && [ -f "$PREFIX/RELEASE" ]; then
    installed=$(cat "$PREFIX/RELEASE")
    if [ "$installed" != "$release" ]; then
        say "release $installed is installed, not $release: leaving the newer installation alone"
        exit 0
    fi
fi

# Wait for a concurrent installer.
if [ -d "$PREFIX" ] && command -v flock >/dev/null 2>&1; then
    exec 8<"$PREFIX"
    flock -w 600 8 || die "an idle-stop install is still running"
fi

# The list of things to remove.
entries=$(mktemp "${TMPDIR:-/tmp}/idle-stop-uninstall.XXXXXX")
trap 'rm -f "$entries"' EXIT
if [ -f "$MANIFEST" ]; then
    grep -v '^#' "$MANIFEST" >"$entries" || true
else
    say "no manifest in $PREFIX; removing only files marked as installed by idle-stop"
    for f in $KNOWN_FILES; do
        if [ -f "$f" ] && grep -q "$MARKER" "$f" 2>/dev/null; then echo "file $f" >>"$entries"; fi
    done
    for d in $KNOWN_DIRS; do
        [ -d "$d" ] && echo "dir $d" >>"$entries"
    done
fi
has() { grep -qxF "$1" "$entries"; }

# 1. Stop the agent. First what would restart it (unit, cron entry), then the process.
if has "file /etc/systemd/system/$UNIT_NAME"; then
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now "$UNIT_NAME" >/dev/null 2>&1 || systemctl stop "$UNIT_NAME" >/dev/null 2>&1 || true
    elif command -v systemctl >/dev/null 2>&1; then
        systemctl disable "$UNIT_NAME" >/dev/null 2>&1 || true
    fi
    rm -f "/etc/systemd/system/$UNIT_NAME"
    # `disable` removes the WantedBy link; be sure when systemctl could not run.
    rm -f "/etc/systemd/system/multi-user.target.wants/$UNIT_NAME"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload || true
        systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
    fi
    say "removed the systemd unit $UNIT_NAME"
fi
if has "file /etc/cron.d/idle-stop"; then
    rm -f /etc/cron.d/idle-stop
fi
if [ -x "$PREFIX/idle-stop-daemon.sh" ] && getent passwd "$AGENT_USER" >/dev/null 2>&1; then
    # With the agent's own rights: its pid file could name any process.
    if command -v runuser >/dev/null 2>&1; then
        runuser -u "$AGENT_USER" -- "$PREFIX/idle-stop-daemon.sh" stop </dev/null 8<&- || true
    else
        setpriv --reuid="$AGENT_USER" --regid="$(id -g "$AGENT_USER")" --init-groups -- "$PREFIX/idle-stop-daemon.sh" stop </dev/null 8<&- || true
    fi
fi
# A daemon started a moment ago by cron may not have written its pid file yet: any process of
# the agent user is ours when we created that user.
if has "user $AGENT_USER" && command -v pgrep >/dev/null 2>&1; then
    if pgrep -u "$AGENT_USER" >/dev/null 2>&1; then
        pkill -TERM -u "$AGENT_USER" 2>/dev/null || true
        i=0
        while pgrep -u "$AGENT_USER" >/dev/null 2>&1 && [ $i -lt 20 ]; do
            sleep 0.5
            i=$((i + 1))
        done
        pkill -KILL -u "$AGENT_USER" 2>/dev/null || true
        sleep 0.2
    fi
fi

# 2. Files outside the product's directories.
reload_sshd=0
while read -r kind path; do
    [ "$kind" = file ] || continue
    case $path in
    "$PREFIX"/* | /etc/idle-stop/* | /var/lib/idle-stop/*) continue ;; # removed with their dirs
    esac
    if [ -e "$path" ] || [ -L "$path" ]; then
        rm -f "$path"
        [ "$path" != "$SSHD_DROPIN" ] || reload_sshd=1
    fi
done <"$entries"

if [ $reload_sshd = 1 ]; then
    reloaded=0
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        for svc in ssh.service sshd.service; do
            if [ $reloaded = 0 ] && systemctl is-active --quiet "$svc" 2>/dev/null; then
                systemctl reload "$svc" && reloaded=1
            fi
        done
    fi
    if [ $reloaded = 0 ]; then
        sshd=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
        pidfile=$("$sshd" -T 2>/dev/null | awk '$1 == "pidfile" { print $2 }') || true
        [ -n "$pidfile" ] || pidfile=/run/sshd.pid
        if [ -r "$pidfile" ]; then
            pid=$(cat "$pidfile")
            case $pid in '' | *[!0-9]*) ;; *) kill -HUP "$pid" 2>/dev/null || true ;; esac
        fi
    fi
    say "removed $SSHD_DROPIN"
fi

# 3. The product's directories (state, config and credentials, bundle and downloaded runtime).
for d in /var/lib/idle-stop /etc/idle-stop; do
    if has "dir $d" && [ -d "$d" ]; then rm -rf "$d"; fi
done

# 4. Group memberships the installer added (the hidepid /proc mount's gid= group).
grep '^member ' "$entries" | while read -r _ member group; do
    if getent passwd "$member" >/dev/null 2>&1 && id -nG "$member" | tr ' ' '\n' | grep -qxF "$group"; then
        gpasswd -d "$member" "$group" >/dev/null 2>&1 || say "warning: could not remove $member from group $group"
    fi
done
# 5. The user and group, when the installer created them.
if has "user $AGENT_USER" && getent passwd "$AGENT_USER" >/dev/null 2>&1; then
    userdel "$AGENT_USER" >/dev/null 2>&1 || die "could not remove user $AGENT_USER (userdel $AGENT_USER)"
    say "removed user $AGENT_USER"
fi
if has "group $AGENT_USER" && getent group "$AGENT_USER" >/dev/null 2>&1; then
    groupdel "$AGENT_USER" >/dev/null 2>&1 || die "could not remove group $AGENT_USER (groupdel $AGENT_USER)"
fi

if has "dir $PREFIX" || [ ! -f "$MANIFEST" ]; then
    rm -rf "$PREFIX"
fi
say "idle-stop${release:+ release $release} removed"
