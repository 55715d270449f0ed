#!/bin/sh
# idle-stop: the `idle-stop` command for every user on this machine, e.g.
#   idle-stop status        sessions, holds, last publish, idle time so far
#   idle-stop hold 2h       keep the machine awake for two hours (idle-stop release to undo)
#   idle-stop keep-awake -- make build
# Installed by idle-stop as /usr/local/bin/idle-stop; managed file, do not edit.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
if [ ! -x /opt/idle-stop/node ] || [ ! -r /opt/idle-stop/idle-stop-agent.js ]; then
    echo "idle-stop: the installation in /opt/idle-stop is incomplete; re-run the deployment" >&2
    exit 1
fi
if [ $# -eq 0 ]; then
    set -- status
fi
# The subcommand first, then the installed config, then the user's arguments (so that
# `keep-awake -- CMD ARGS` passes CMD ARGS through untouched).
case $1 in
-*) exec /opt/idle-stop/node /opt/idle-stop/idle-stop-agent.js "$@" ;;
esac
sub=$1
shift
if [ "$sub" = keep-awake ]; then
    # Node resets ignored signals when it starts: pass on what this shell inherited as ignored
    # (nohup's SIGHUP) so keep-awake and its command keep ignoring it. Builtins only.
    while read -r key value; do
        if [ "$key" = SigIgn: ]; then
            IDLE_STOP_SIGIGN=$value
            export IDLE_STOP_SIGIGN
        fi
    done 2>/dev/null </proc/$$/status || true
fi
exec /opt/idle-stop/node /opt/idle-stop/idle-stop-agent.js "$sub" --config /etc/idle-stop/agent.json "$@"
