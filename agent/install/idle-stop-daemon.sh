#!/bin/sh
# idle-stop: runs the agent daemon on machines where systemd is not PID 1 (containers, other
# init systems). Installed as /opt/idle-stop/idle-stop-daemon.sh; /etc/cron.d/idle-stop calls
# `start` every minute as user idle-stop, and the installer calls it once at install time.
#
#   idle-stop-daemon.sh start    start the agent detached unless it already runs
#   idle-stop-daemon.sh run      run the agent in the foreground (holds the lock while it runs)
#   idle-stop-daemon.sh stop     stop a running agent (SIGTERM, then SIGKILL after 15 s)
#   idle-stop-daemon.sh status   exit 0 when the agent runs, 3 when it does not
#
# Managed file, do not edit.
set -eu

prefix=/opt/idle-stop
state_dir=/var/lib/idle-stop
lock_file=$state_dir/agent.lock
pid_file=$state_dir/agent.pid
log_file=$state_dir/agent.log
bundle=$prefix/idle-stop-agent.js
config=/etc/idle-stop/agent.json

say() { printf 'idle-stop daemon: %s\n' "$*" >&2; }

# Prints the pid of the running agent, if any.
running_pid() {
    [ -r "$pid_file" ] || return 1
    pid=$(cat "$pid_file" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    # The pid must still be our agent, not a recycled pid nor anyone's process that merely
    # mentions the bundle: the agent user's, running `NODE $bundle run` (NODE may be a version
    # manager's shim that execs the real node, so only the arguments are compared).
    owner=$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
    [ -n "$owner" ] && [ "$owner" = "$(id -u idle-stop 2>/dev/null)" ] || return 1
    case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in
    *" $bundle run "*) ;;
    *) return 1 ;;
    esac
    printf '%s\n' "$pid"
}

case ${1:-} in
run)
    cd /
    umask 022
    if command -v flock >/dev/null 2>&1; then
        exec 9>>"$lock_file"
        flock -n 9 || exit 0 # another instance runs
    elif running_pid >/dev/null; then
        exit 0
    fi
    # Keep the log bounded: one rotation at 5 MB.
    if [ -f "$log_file" ] && [ "$(wc -c <"$log_file")" -gt 5242880 ]; then
        mv -f "$log_file" "$log_file.1"
    fi
    exec >>"$log_file" 2>&1 </dev/null
    export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
    set -a
    # shellcheck disable=SC1091
    [ -r /etc/idle-stop/agent.env ] && . /etc/idle-stop/agent.env
    # shellcheck disable=SC1091
    [ -r /etc/idle-stop/environment ] && . /etc/idle-stop/environment
    set +a
    echo "$$" >"$pid_file"
    printf '%s idle-stop daemon: starting agent (pid %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$"
    # exec keeps the pid (and the lock on fd 9) for the agent itself. Node flags: as in
    # idle-stop-agent.service (memory over speed).
    exec "$prefix/node" --lite-mode --no-expose-wasm "$bundle" run --config "$config"
    ;;
start)
    if running_pid >/dev/null; then
        exit 0
    fi
    # Detach from the caller's session and descriptors so cron / ssh do not wait for it.
    setsid "$0" run </dev/null >/dev/null 2>&1 &
    exit 0
    ;;
stop)
    pid=$(running_pid) || exit 0
    kill -TERM "$pid" 2>/dev/null || exit 0
    i=0
    while [ -d "/proc/$pid" ] && [ $i -lt 30 ]; do
        sleep 0.5
        i=$((i + 1))
    done
    if [ -d "/proc/$pid" ]; then
        say "agent (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
    exit 0
    ;;
status)
    if pid=$(running_pid); then
        echo "idle-stop agent running (pid $pid)"
        exit 0
    fi
    echo "idle-stop agent not running"
    exit 3
    ;;
*)
    say "usage: $0 start|run|stop|status"
    exit 2
    ;;
esac
