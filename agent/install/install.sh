#!/bin/sh
# idle-stop installer, bootstrap: what must happen before Node.js exists on this machine. It
# waits for cloud-init, finds a Node.js >= 20 the agent's user can run (or downloads one), then
# hands over to the agent bundle's `install` subcommand (agent/src/install/), which validates the
# config and makes every change. The installer's contract: docs/reference/installer.md.
#
# Run as root (the deployment runs `sudo -n sh ~/.idle-stop-<release>/dist/install.sh ...` over
# SSH, see components/agent-commands.ts). Idempotent; nothing here changes the machine: a
# downloaded Node.js waits in a temporary directory until the `install` step moves it in.
#
# usage: install.sh --release R --config-b64 BASE64_JSON [--credentials-stdin]
#                   [--node-dist-url URL] [--client-alive-interval N --client-alive-count-max N]
set -eu

PREFIX=/opt/idle-stop
AGENT_USER=idle-stop
USAGE="usage: install.sh --release R --config-b64 BASE64_JSON [--credentials-stdin] [--node-dist-url URL] [--client-alive-interval N --client-alive-count-max N]"

say() { printf 'idle-stop install: %s\n' "$*" >&2; }
die() {
    printf 'idle-stop install: error: %s\n' "$*" >&2
    exit 1
}
usage_error() {
    printf 'idle-stop install: %s\n%s\n' "$*" "$USAGE" >&2
    exit 2
}

# The payload directory (IDLE_STOP_INSTALL_DIR when this file is sourced, where $0 is the shell).
payload=$(cd "${IDLE_STOP_INSTALL_DIR:-$(dirname "$0")}" && pwd)
[ -f "$payload/node-download.sh" ] || die "$payload/node-download.sh is missing; the payload was not copied completely"
# shellcheck source=agent/install/node-download.sh
. "$payload/node-download.sh"

# ---------------------------------------------------------------------------------------------
# Node.js discovery: one the agent's user can run, so the service can run it too.

# as_user USER CMD...: runs CMD as USER.
as_user() {
    u=$1
    shift
    if command -v runuser >/dev/null 2>&1; then
        runuser -u "$u" -- "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
    else
        sudo -n -u "$u" -- "$@"
    fi
}

# The user whose access stands for the agent's before the agent user exists: an unprivileged
# account without extra groups has the same access to other users' files as idle-stop.
probe_user() {
    if getent passwd "$AGENT_USER" >/dev/null 2>&1; then
        echo "$AGENT_USER"
    elif getent passwd nobody >/dev/null 2>&1; then
        echo nobody
    else
        echo root
    fi
}

# node_major_as_agent PATH: the major version of the node at PATH, when the agent user (or,
# before it exists, an equally unprivileged user) can run it.
node_major_as_agent() {
    v=$(as_user "$(probe_user)" "$1" --version 2>/dev/null </dev/null) || return 1
    node_major_of "$v"
}

# Prints candidate node paths, one per line, best first.
node_candidates() {
    command -v node 2>/dev/null || true
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        # The SSH user's login PATH (e.g. /etc/profile.d additions, ~/.profile).
        if command -v timeout >/dev/null 2>&1; then t="timeout 30"; else t=""; fi
        # shellcheck disable=SC2086
        $t su -l "$SUDO_USER" -c 'command -v node' </dev/null 2>/dev/null | grep '^/' | tail -n 1 || true
    fi
    [ -x /usr/local/bin/node ] && echo /usr/local/bin/node
    if [ -n "${SUDO_USER:-}" ]; then
        home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
        if [ -n "$home" ] && [ -d "$home/.nvm/versions/node" ]; then
            # Newest version first.
            # shellcheck disable=SC2012
            ls -d "$home"/.nvm/versions/node/v*/bin/node 2>/dev/null |
                sed 's|.*/v\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\)/bin/node$|\1 \2 \3 &|' |
                sort -k1,1nr -k2,2nr -k3,3nr | cut -d' ' -f4- || true
        fi
    fi
    [ -x "$PREFIX/runtime/bin/node" ] && echo "$PREFIX/runtime/bin/node"
    return 0
}

# Prints the absolute, symlink-resolved path of a usable node, or fails.
find_node() {
    node_candidates | while IFS= read -r candidate; do
        [ -n "$candidate" ] || continue
        case $candidate in /*) ;; *) continue ;; esac
        resolved=$(readlink -f "$candidate" 2>/dev/null) || continue
        [ -x "$resolved" ] || continue
        if ! major=$(node_major_as_agent "$resolved"); then
            say "skipping $candidate: user $AGENT_USER cannot run it (e.g. it lives in a home directory $AGENT_USER cannot enter)"
            continue
        fi
        if [ "$major" -lt "$NODE_MIN_MAJOR" ]; then
            say "skipping $candidate: Node.js $major is older than $NODE_MIN_MAJOR"
            continue
        fi
        printf '%s\n' "$resolved"
        return 0
    done
}

# ---------------------------------------------------------------------------------------------

# check_args ARGS...: the command line's shape (the `install` step checks the values), and the
# mirror, which is used before that step runs. Sets node_dist_url.
check_args() {
    node_dist_url=${NODE_DIST_URL:-https://nodejs.org/dist}
    while [ $# -gt 0 ]; do
        case $1 in
        --release | --config-b64 | --node-dist-url | --client-alive-interval | --client-alive-count-max)
            [ $# -ge 2 ] || usage_error "$1 needs a value"
            [ "$1" != --node-dist-url ] || node_dist_url=${2:-$node_dist_url}
            shift 2
            ;;
        --credentials-stdin) shift ;;
        -h | --help) usage_error "installs the idle-stop agent (run as root)" ;;
        *) usage_error "unknown argument: $1" ;;
        esac
    done
    check_node_dist_url "$node_dist_url"
}

# check_node_dist_url URL: the mirror rule of common/download-url.ts. The checksum file comes
# from the same server, so https only (plain http on loopback only). Only letters, digits and
# - . _ ~ : / % + = , [ ] (spelled out: ranges depend on the locale): no userinfo, '@' or '\',
# which curl reads differently from the program's URL parser (http://localhost:80\@evil/ would
# pass a loopback check here and fetch from evil), no whitespace, control characters or quotes.
check_node_dist_url() {
    case $1 in
    *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~:/%+=,[\]-]* | '') url_ok=no ;;
    https://[abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789[]*) url_ok=yes ;;
    http://127.0.0.1 | http://127.0.0.1[:/]* | http://localhost | http://localhost[:/]* | "http://[::1]" | "http://[::1]"[:/]*) url_ok=yes ;;
    *) url_ok=no ;;
    esac
    [ "$url_ok" = yes ] ||
        usage_error "--node-dist-url must be an https:// URL (plain http only for 127.0.0.1/localhost), of letters, digits and - . _ ~ : / % + = , [ ] only (no user info, '@', '\\', spaces or control characters): $(printf '%s' "$1" | tr -c '[:print:]' '?')"
}

# Lets user data (which may install Node.js, users, sshd settings) finish first.
wait_for_cloud_init() {
    command -v cloud-init >/dev/null 2>&1 || return 0
    say "waiting for cloud-init to finish (user data first)"
    if command -v timeout >/dev/null 2>&1; then
        timeout 1200 cloud-init status --wait >/dev/null 2>&1 </dev/null ||
            say "note: cloud-init did not finish cleanly within 20 minutes (see cloud-init status --long); continuing"
    else
        cloud-init status --wait >/dev/null 2>&1 </dev/null ||
            say "note: cloud-init reports errors (see cloud-init status --long); continuing"
    fi
}

main() {
    check_args "$@"
    [ "$(id -u)" = 0 ] || die "must run as root (the deployment runs it with sudo -n)"
    for f in idle-stop-agent.js uninstall.sh idle-stop-daemon.sh idle-stop-wrapper.sh idle-stop-agent.service; do
        [ -f "$payload/$f" ] || die "$payload/$f is missing; the payload was not copied completely"
    done
    umask 022
    wait_for_cloud_init

    # Node.js >= 20 that the agent user can run: found, or downloaded into a temporary directory
    # that the `install` step moves to $PREFIX/runtime (and removes in any case).
    node=$(find_node) || node=""
    run_node=$node
    if [ -z "$node" ]; then
        say "no Node.js >= $NODE_MIN_MAJOR usable by $AGENT_USER found (PATH, ${SUDO_USER:-the SSH user}'s login PATH, /usr/local/bin, ~/.nvm, $PREFIX/runtime)"
        work_dir=$(mktemp -d "${TMPDIR:-/tmp}/idle-stop-install.XXXXXX")
        trap 'rm -rf "$work_dir"' EXIT
        trap 'exit 1' INT TERM HUP
        download_node "$node_dist_url" "$work_dir/runtime"
        v=$("$work_dir/runtime/bin/node" --version 2>/dev/null) || die "the downloaded Node.js does not run on this machine"
        major=$(node_major_of "$v") || die "the downloaded Node.js reports version '$v'"
        [ "$major" -ge "$NODE_MIN_MAJOR" ] || die "the downloaded Node.js is $v, older than $NODE_MIN_MAJOR"
        node=$PREFIX/runtime/bin/node
        run_node=$work_dir/runtime/bin/node
        set -- --node-download "$work_dir" "$@"
    fi
    say "using Node.js $("$run_node" --version </dev/null) at $node"
    exec "$run_node" "$payload/idle-stop-agent.js" install --node "$node" "$@"
}

if [ "${IDLE_STOP_INSTALL_LIBRARY:-}" != 1 ]; then
    main "$@"
fi
