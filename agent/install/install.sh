#!/bin/sh
# idle-stop installer: registers the idle-stop agent on this machine.
#
# Run as root (the deployment runs `sudo -n sh ~/.idle-stop-<release>/dist/install.sh ...` over
# SSH, see components/agent-commands.ts). Idempotent: re-running it with the same or a new
# release upgrades in place and keeps the state directory (spool, holds).
#
# usage: install.sh --release R --config-b64 BASE64_JSON [--credentials-stdin]
#                   [--node-dist-url URL] [--client-alive-interval N --client-alive-count-max N]
#
# What it creates (and records in /opt/idle-stop/manifest so uninstall.sh removes exactly that):
#   user/group idle-stop (system, no login shell), /opt/idle-stop (agent bundle, uninstaller,
#   RELEASE, node symlink, runtime/ when Node.js had to be downloaded), /etc/idle-stop (agent.json,
#   credentials 0600, agent.env), /var/lib/idle-stop (state: root:idle-stop 1775; holds/ root 1777),
#   /usr/local/bin/idle-stop,
#   /etc/profile.d/idle-stop.sh (login notice), and either the systemd unit
#   /etc/systemd/system/idle-stop-agent.service or /etc/cron.d/idle-stop (no systemd), and
#   /etc/ssh/sshd_config.d/60-idle-stop.conf when --client-alive-interval is given.
set -eu

PREFIX=/opt/idle-stop
ETC_DIR=/etc/idle-stop
STATE_DIR=/var/lib/idle-stop
AGENT_USER=idle-stop
MANIFEST=$PREFIX/manifest
WRAPPER=/usr/local/bin/idle-stop
PROFILE_SCRIPT=/etc/profile.d/idle-stop.sh
UNIT_NAME=idle-stop-agent.service
UNIT_PATH=/etc/systemd/system/$UNIT_NAME
CRON_FILE=/etc/cron.d/idle-stop
SSHD_DROPIN=/etc/ssh/sshd_config.d/60-idle-stop.conf
MARKER="Installed by idle-stop"
NODE_MIN_MAJOR=20
NODE_DOWNLOAD_LINE=latest-v22.x

say() { printf 'idle-stop install: %s\n' "$*" >&2; }
die() {
    printf 'idle-stop install: error: %s\n' "$*" >&2
    exit 1
}
usage_error() {
    printf 'idle-stop install: %s\n' "$*" >&2
    printf '%s\n' "usage: install.sh --release R --config-b64 BASE64_JSON [--credentials-stdin] [--node-dist-url URL] [--client-alive-interval N --client-alive-count-max N]" >&2
    exit 2
}

is_uint() {
    case $1 in '' | *[!0-9]*) return 1 ;; esac
    return 0
}

# ---------------------------------------------------------------------------------------------
# Running commands as another user: as_user USER CMD...
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
as_agent() { as_user "$AGENT_USER" "$@"; }

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

# ---------------------------------------------------------------------------------------------
# Node.js discovery and download.

# node_major_as_agent PATH: prints the major version of the node at PATH when the agent user
# (or, before it exists, an equally unprivileged user) can run it.
node_major_as_agent() {
    v=$(as_user "$(probe_user)" "$1" --version 2>/dev/null </dev/null) || return 1
    node_major_of "$v"
}

node_major_of() {
    v=${1#v}
    major=${v%%.*}
    is_uint "$major" || return 1
    printf '%s\n' "$major"
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

# fetch URL FILE: downloads with curl or wget.
fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -T 20 -t 3 -O "$2" "$1"
    else
        die "neither curl nor wget is installed, so Node.js >= $NODE_MIN_MAJOR cannot be downloaded; install Node.js >= $NODE_MIN_MAJOR (or curl/wget) and deploy again"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d' ' -f1
    else
        die "no sha256sum, shasum or openssl to verify the Node.js download"
    fi
}

node_arch() {
    m=$(uname -m)
    case $m in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no Node.js download for machine architecture '$m' (x86_64 and aarch64 are supported); install Node.js >= $NODE_MIN_MAJOR and deploy again" ;;
    esac
}

work_dir=""
download_work=""
cleanup() {
    [ -z "$work_dir" ] || rm -rf "$work_dir"
    [ -z "$download_work" ] || rm -rf "$download_work"
}

# download_node BASE_URL DEST: downloads the current Node.js LTS for this architecture from
# BASE_URL (a https://nodejs.org/dist mirror), verifies it against SHASUMS256.txt, and unpacks it
# into DEST (replacing DEST atomically). Prints nothing on stdout.
download_node() {
    base=${1%/}
    dest=$2
    arch=$(node_arch)
    work=$(mktemp -d "${TMPDIR:-/tmp}/idle-stop-node.XXXXXX")
    download_work=$work
    trap cleanup EXIT
    trap 'cleanup; exit 1' INT TERM HUP
    sums_url="$base/$NODE_DOWNLOAD_LINE/SHASUMS256.txt"
    say "downloading Node.js ($NODE_DOWNLOAD_LINE, linux-$arch) from $base"
    fetch "$sums_url" "$work/SHASUMS256.txt" || die "could not download $sums_url"
    line=$(grep -E "^[0-9a-f]{64}  node-v[0-9]+\.[0-9]+\.[0-9]+-linux-$arch\.tar\.gz\$" "$work/SHASUMS256.txt" | head -n 1) ||
        die "$sums_url lists no node-v*-linux-$arch.tar.gz"
    [ -n "$line" ] || die "$sums_url lists no node-v*-linux-$arch.tar.gz"
    want=${line%% *}
    file=${line##* }
    fetch "$base/$NODE_DOWNLOAD_LINE/$file" "$work/$file" || die "could not download $base/$NODE_DOWNLOAD_LINE/$file"
    got=$(sha256_of "$work/$file")
    if [ "$got" != "$want" ]; then
        die "checksum mismatch for $file: SHASUMS256.txt says $want, the download is $got; refusing to install it"
    fi
    mkdir -p "$work/unpacked"
    tar -xzf "$work/$file" -C "$work/unpacked" --strip-components=1 --no-same-owner ||
        die "could not unpack $file"
    [ -x "$work/unpacked/bin/node" ] || die "$file has no bin/node"
    chmod -R u+rwX,go+rX,go-w "$work/unpacked"
    rm -rf "$dest.new"
    mkdir -p "$(dirname "$dest")"
    mv "$work/unpacked" "$dest.new"
    rm -rf "$dest"
    mv "$dest.new" "$dest"
    rm -rf "$work"
    download_work=""
    say "Node.js $("$dest/bin/node" --version 2>/dev/null || echo '?') installed in $dest"
}

# ---------------------------------------------------------------------------------------------
# The manifest: one "kind path" line per thing this installation created.

manifest_has() { [ -f "$MANIFEST" ] && grep -qxF "$1" "$MANIFEST"; }
manifest_add() {
    manifest_has "$1" && return 0
    printf '%s\n' "$1" >>"$MANIFEST"
}
manifest_remove() {
    [ -f "$MANIFEST" ] || return 0
    grep -vxF "$1" "$MANIFEST" >"$MANIFEST.tmp" || true
    mv -f "$MANIFEST.tmp" "$MANIFEST"
}

# claim_file PATH: PATH may be (over)written by us: it is absent, recorded, or carries our marker.
claim_file() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        if ! manifest_has "file $1" && ! grep -q "$MARKER" "$1" 2>/dev/null; then
            die "$1 exists and was not installed by idle-stop; refusing to overwrite it (move it away and deploy again)"
        fi
    fi
    manifest_add "file $1"
}

# put_file SRC DEST MODE: installs SRC as DEST atomically (same directory, then rename).
put_file() {
    tmp="$2.idle-stop-new"
    cp "$1" "$tmp"
    chown root:root "$tmp"
    chmod "$3" "$tmp"
    mv -f "$tmp" "$2"
}

# remove_owned_file PATH: removes PATH if this installation created it.
remove_owned_file() {
    if manifest_has "file $1"; then
        rm -f "$1"
        manifest_remove "file $1"
    fi
}

# ---------------------------------------------------------------------------------------------
# sshd

sshd_bin() {
    command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || return 1
}

# Reloads the system's sshd so it reads its configuration again (existing sessions stay).
reload_sshd() {
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        for svc in ssh.service sshd.service; do
            if systemctl is-active --quiet "$svc" 2>/dev/null; then
                systemctl reload "$svc" && return 0
            fi
        done
    fi
    # No systemd: SIGHUP the listener named in the system configuration's PidFile only.
    bin=$(sshd_bin) || return 0
    pidfile=$("$bin" -T 2>/dev/null | awk '$1 == "pidfile" { print $2 }') || true
    [ -n "$pidfile" ] || pidfile=/run/sshd.pid
    if [ -r "$pidfile" ]; then
        pid=$(cat "$pidfile")
        if is_uint "$pid" && kill -0 "$pid" 2>/dev/null; then
            kill -HUP "$pid" && return 0
        fi
    fi
    say "note: no running system sshd found to reload; $SSHD_DROPIN applies when sshd next starts"
}

configure_sshd() {
    if [ -z "$client_alive_interval" ]; then
        if manifest_has "file $SSHD_DROPIN"; then
            remove_owned_file "$SSHD_DROPIN"
            say "removed $SSHD_DROPIN (no --client-alive-interval any more)"
            reload_sshd
        fi
        return 0
    fi
    bin=$(sshd_bin) || {
        say "warning: sshd not found; not installing $SSHD_DROPIN"
        return 0
    }
    [ -d /etc/ssh/sshd_config.d ] || die "/etc/ssh/sshd_config.d does not exist, so the ClientAlive settings cannot be added as a drop-in"
    if ! grep -Eiq '^[[:space:]]*Include[[:space:]].*sshd_config\.d' /etc/ssh/sshd_config 2>/dev/null; then
        say "warning: /etc/ssh/sshd_config does not Include /etc/ssh/sshd_config.d/*.conf; $SSHD_DROPIN will have no effect"
    fi
    if ! err=$("$bin" -t 2>&1); then
        die "sshd -t fails before any change by idle-stop ($err); fix the sshd configuration or deploy without the ClientAlive settings"
    fi
    claim_file "$SSHD_DROPIN"
    previous=""
    if [ -f "$SSHD_DROPIN" ]; then
        previous=$work_dir/sshd-dropin.previous
        cp -p "$SSHD_DROPIN" "$previous"
    fi
    {
        echo "# $MARKER: closes SSH connections whose client stopped answering, so dead sessions"
        echo "# do not keep this machine awake. Removed by /opt/idle-stop/uninstall.sh."
        echo "ClientAliveInterval $client_alive_interval"
        echo "ClientAliveCountMax $client_alive_count_max"
    } >"$work_dir/sshd-dropin"
    put_file "$work_dir/sshd-dropin" "$SSHD_DROPIN" 0644
    if ! err=$("$bin" -t 2>&1); then
        if [ -n "$previous" ]; then
            mv -f "$previous" "$SSHD_DROPIN"
        else
            rm -f "$SSHD_DROPIN"
            manifest_remove "file $SSHD_DROPIN"
        fi
        die "sshd rejects $SSHD_DROPIN (ClientAliveInterval $client_alive_interval, ClientAliveCountMax $client_alive_count_max): $err; the drop-in was removed again"
    fi
    reload_sshd
    check_sshd_effective "$bin"
    say "sshd: ClientAliveInterval $client_alive_interval, ClientAliveCountMax $client_alive_count_max ($SSHD_DROPIN)"
}

# sshd uses the FIRST value it reads for most keywords, so a drop-in sorted before ours (or a line
# in sshd_config before the Include) silently wins: compare what sshd will really use.
check_sshd_effective() {
    effective=$("$1" -T 2>/dev/null) || {
        say "warning: could not run '$1 -T' to check the effective ClientAlive settings"
        return 0
    }
    eff_interval=$(printf '%s\n' "$effective" | awk '$1 == "clientaliveinterval" { print $2 }')
    eff_count=$(printf '%s\n' "$effective" | awk '$1 == "clientalivecountmax" { print $2 }')
    if [ "$eff_interval" != "$client_alive_interval" ] || [ "$eff_count" != "$client_alive_count_max" ]; then
        others=$(grep -Eil '^[[:space:]]*ClientAlive(Interval|CountMax)[[:space:]]' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf 2>/dev/null | grep -vxF "$SSHD_DROPIN" | tr '\n' ' ') || true
        say "warning: $SSHD_DROPIN has no effect: sshd uses ClientAliveInterval ${eff_interval:-?} and ClientAliveCountMax ${eff_count:-?} (sshd -T), because an earlier setting wins${others:+ (set in: $others)}; dead SSH connections may keep this machine awake until TCP gives up. Remove that setting, or set clientAliveInterval to 0 to leave sshd alone"
    fi
}

# ---------------------------------------------------------------------------------------------
# The state directory. Root must never follow a link the agent's user (or anyone) planted: the
# directory is root-owned, group idle-stop, 1775 (the agent creates its files; the sticky bit
# keeps it from renaming what it does not own), and holds/ is root-owned 1777, so nobody but root
# can swap holds/ for a symlink. An older installation's agent-owned holds/ is first made
# root's without following links (chown -h), then checked, then changed.
secure_state_dir() {
    [ ! -L "$STATE_DIR" ] || die "$STATE_DIR is a symbolic link; refusing to use it (remove it and deploy again)"
    if [ ! -d "$STATE_DIR" ]; then mkdir -p "$STATE_DIR"; fi
    manifest_add "dir $STATE_DIR"
    chown root:"$AGENT_USER" "$STATE_DIR"
    chmod 1775 "$STATE_DIR"
    if [ -e "$holds_dir" ] || [ -L "$holds_dir" ]; then
        chown -h root:root "$holds_dir"
        if [ -L "$holds_dir" ] || [ ! -d "$holds_dir" ]; then
            say "warning: $holds_dir was not a directory (a symbolic link?); replaced it"
            rm -f "$holds_dir"
        fi
    fi
    [ -d "$holds_dir" ] || mkdir "$holds_dir"
    chown -h root:root "$holds_dir"
    # Every user may add a hold (sticky: only its owner may remove it).
    chmod 1777 "$holds_dir"
}

# ---------------------------------------------------------------------------------------------
# /proc mounted with hidepid hides other users' processes from the agent; the mount's gid= group
# is exempt. Prints the options' hidepid value and gid ("2 1001", "2 -" without gid), or nothing.
proc_hidepid() {
    awk '$5 == "/proc" { split($0, halves, " - "); n = split(halves[2], f, " "); opts = f[3]; hp = ""; gid = "-";
        m = split(opts, o, ","); for (i = 1; i <= m; i++) { if (o[i] ~ /^hidepid=/) hp = substr(o[i], 9); if (o[i] ~ /^gid=/) gid = substr(o[i], 5) }
        last = (hp == "" || hp == "0" || hp == "off") ? "" : hp " " gid }
        END { if (last != "") print last }' /proc/self/mountinfo 2>/dev/null || true
}

# Before anything changes: without gid= on a hidepid /proc the agent cannot count sessions.
check_proc_access() {
    hp=$(proc_hidepid)
    [ -n "$hp" ] || return 0
    gid=${hp#* }
    if [ "$gid" = - ]; then
        die "/proc is mounted with hidepid=${hp%% *}: the agent (user $AGENT_USER) could not see other users' SSH sessions and would report none. Give the mount a group whose members see all processes, e.g. 'groupadd -r proc-readers' and in /etc/fstab 'proc /proc proc defaults,hidepid=${hp%% *},gid=proc-readers 0 0', then 'mount -o remount /proc', and deploy again (the installer adds $AGENT_USER to that group)"
    fi
}

# After the user exists: join the hidepid mount's gid= group (recorded, so uninstall leaves it).
configure_proc_access() {
    hp=$(proc_hidepid)
    [ -n "$hp" ] || return 0
    gid=${hp#* }
    group=$(getent group "$gid" | cut -d: -f1)
    [ -n "$group" ] || die "/proc is mounted with hidepid and gid=$gid, but no group has id $gid; create it and deploy again"
    if ! id -nG "$AGENT_USER" | tr ' ' '\n' | grep -qxF "$group"; then
        usermod -a -G "$group" "$AGENT_USER" || die "could not add $AGENT_USER to group $group (the gid= of the hidepid /proc mount)"
        manifest_add "member $AGENT_USER $group"
        say "added $AGENT_USER to group $group: /proc is mounted with hidepid=${hp%% *},gid=$gid"
    fi
}

# ---------------------------------------------------------------------------------------------
# Agent supervision

have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# The pid file is the agent's: stop it with the agent's own rights, so a pid planted there can
# only ever be one of the agent user's processes.
stop_fallback_daemon() { as_agent "$PREFIX/idle-stop-daemon.sh" stop </dev/null 8<&- || true; }

fallback_running() { [ -x "$PREFIX/idle-stop-daemon.sh" ] && "$PREFIX/idle-stop-daemon.sh" status >/dev/null 2>&1; }

start_with_systemd() {
    if manifest_has "file $CRON_FILE"; then
        remove_owned_file "$CRON_FILE"
    fi
    if [ -x "$PREFIX/idle-stop-daemon.sh" ]; then stop_fallback_daemon; fi
    claim_file "$UNIT_PATH"
    put_file "$payload/idle-stop-agent.service" "$UNIT_PATH" 0644
    systemctl daemon-reload
    systemctl enable "$UNIT_NAME" >/dev/null 2>&1 || die "systemctl enable $UNIT_NAME failed"
    systemctl restart "$UNIT_NAME" 8<&- || die "systemctl restart $UNIT_NAME failed; see: journalctl -u $UNIT_NAME"
    sleep 2
    if ! systemctl is-active --quiet "$UNIT_NAME"; then
        journalctl -u "$UNIT_NAME" -n 20 --no-pager >&2 2>/dev/null || true
        die "$UNIT_NAME does not stay running; see: journalctl -u $UNIT_NAME"
    fi
    say "agent running under systemd ($UNIT_NAME, enabled at boot)"
}

start_with_fallback() {
    if manifest_has "file $UNIT_PATH"; then
        remove_owned_file "$UNIT_PATH"
    fi
    claim_file "$CRON_FILE"
    {
        echo "# $MARKER: keeps the idle-stop agent running on this machine without systemd."
        echo "# Removed by /opt/idle-stop/uninstall.sh."
        echo "SHELL=/bin/sh"
        echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        echo "@reboot $AGENT_USER $PREFIX/idle-stop-daemon.sh start >/dev/null 2>&1"
        echo "* * * * * $AGENT_USER $PREFIX/idle-stop-daemon.sh start >/dev/null 2>&1"
    } >"$work_dir/cron"
    put_file "$work_dir/cron" "$CRON_FILE" 0644
    # Restart so a new bundle or config takes effect now.
    stop_fallback_daemon
    # fd 8 holds the install lock: the daemon must not inherit it.
    as_agent "$PREFIX/idle-stop-daemon.sh" start </dev/null >/dev/null 2>&1 8<&-
    i=0
    while ! fallback_running && [ $i -lt 20 ]; do
        sleep 0.25
        i=$((i + 1))
    done
    sleep 1
    if ! fallback_running; then
        # As the agent's user: the log lives in the agent's directory and may be a symlink it planted.
        as_agent tail -n 20 "$STATE_DIR/agent.log" >&2 2>/dev/null || true
        die "the agent did not stay running; see $STATE_DIR/agent.log"
    fi
    if command -v cron >/dev/null 2>&1 || command -v crond >/dev/null 2>&1; then
        say "agent running as $AGENT_USER without systemd; $CRON_FILE restarts it (log: $STATE_DIR/agent.log)"
    else
        say "agent running as $AGENT_USER without systemd (log: $STATE_DIR/agent.log); note: no cron daemon is installed, so nothing restarts it after a crash or reboot until cron is installed"
    fi
}

# ---------------------------------------------------------------------------------------------

main() {
    release=""
    config_b64=""
    credentials_stdin=0
    node_dist_url=""
    client_alive_interval=""
    client_alive_count_max=""
    while [ $# -gt 0 ]; do
        case $1 in
        --release | --config-b64 | --node-dist-url | --client-alive-interval | --client-alive-count-max)
            [ $# -ge 2 ] || usage_error "$1 needs a value"
            case $1 in
            --release) release=$2 ;;
            --config-b64) config_b64=$2 ;;
            --node-dist-url) node_dist_url=$2 ;;
            --client-alive-interval) client_alive_interval=$2 ;;
            --client-alive-count-max) client_alive_count_max=$2 ;;
            esac
            shift 2
            ;;
        --credentials-stdin)
            credentials_stdin=1
            shift
            ;;
        -h | --help)
            usage_error "installs the idle-stop agent (run as root)"
            ;;
        *) usage_error "unknown argument: $1" ;;
        esac
    done
    [ -n "$release" ] || usage_error "--release is required"
    case $release in *[!A-Za-z0-9._-]* | .*) usage_error "--release must be letters, digits, '.', '_' or '-': $release" ;; esac
    [ -n "$config_b64" ] || usage_error "--config-b64 is required"
    if [ -n "$client_alive_interval" ]; then
        # shellcheck disable=SC2015
        is_uint "$client_alive_interval" && [ "$client_alive_interval" -gt 0 ] ||
            usage_error "--client-alive-interval must be a positive number of seconds: $client_alive_interval"
        [ -n "$client_alive_count_max" ] || client_alive_count_max=3
        # shellcheck disable=SC2015
        is_uint "$client_alive_count_max" && [ "$client_alive_count_max" -gt 0 ] ||
            usage_error "--client-alive-count-max must be a positive integer: $client_alive_count_max"
    elif [ -n "$client_alive_count_max" ]; then
        usage_error "--client-alive-count-max needs --client-alive-interval"
    fi
    node_dist_url=${node_dist_url:-${NODE_DIST_URL:-https://nodejs.org/dist}}
    # The checksum file comes from the same server: https only (plain http on loopback only).
    case $node_dist_url in
    https://?* | http://127.0.0.1 | http://127.0.0.1[:/]* | http://localhost | http://localhost[:/]* | "http://[::1]" | "http://[::1]"[:/]*) ;;
    *) usage_error "--node-dist-url must be an https:// URL (plain http only for 127.0.0.1/localhost): $node_dist_url" ;;
    esac

    [ "$(id -u)" = 0 ] || die "must run as root (the deployment runs it with sudo -n)"

    payload=$(cd "$(dirname "$0")" && pwd)
    for f in idle-stop-agent.js uninstall.sh idle-stop-daemon.sh idle-stop-wrapper.sh idle-stop-agent.service; do
        [ -f "$payload/$f" ] || die "$payload/$f is missing; the payload was not copied completely"
    done

    umask 022
    work_dir=$(mktemp -d "${TMPDIR:-/tmp}/idle-stop-install.XXXXXX")
    trap cleanup EXIT
    trap 'cleanup; exit 1' INT TERM HUP

    # The config, decoded; validated with node below.
    printf '%s' "$config_b64" | base64 -d >"$work_dir/agent.json" 2>/dev/null ||
        die "--config-b64 is not valid base64"
    case $(tr -d ' \t\r\n' <"$work_dir/agent.json" | cut -c1) in
    '{') ;;
    *) die "--config-b64 does not decode to a JSON object" ;;
    esac

    # The secret: never world-readable, not even briefly.
    if [ "$credentials_stdin" = 1 ]; then
        (
            umask 077
            cat >"$work_dir/credentials"
        )
        [ -s "$work_dir/credentials" ] || die "--credentials-stdin was given but stdin is empty"
        grep -qi 'aws_access_key_id' "$work_dir/credentials" ||
            die "the credentials on stdin are not an AWS shared credentials file (no aws_access_key_id)"
    fi

    # Let user data (which may install Node.js, users, sshd settings) finish first.
    if command -v cloud-init >/dev/null 2>&1; then
        say "waiting for cloud-init to finish (user data first)"
        if command -v timeout >/dev/null 2>&1; then
            timeout 1200 cloud-init status --wait >/dev/null 2>&1 ||
                say "note: cloud-init did not finish cleanly within 20 minutes (see cloud-init status --long); continuing"
        else
            cloud-init status --wait >/dev/null 2>&1 ||
                say "note: cloud-init reports errors (see cloud-init status --long); continuing"
        fi
    fi

    # Node.js >= 20 that the agent user can run; found or downloaded before anything changes.
    downloaded=""
    node=$(find_node) || node=""
    if [ -z "$node" ]; then
        say "no Node.js >= $NODE_MIN_MAJOR usable by $AGENT_USER found (PATH, ${SUDO_USER:-the SSH user}'s login PATH, /usr/local/bin, ~/.nvm, $PREFIX/runtime)"
        download_node "$node_dist_url" "$work_dir/runtime"
        v=$("$work_dir/runtime/bin/node" --version 2>/dev/null) || die "the downloaded Node.js does not run on this machine"
        major=$(node_major_of "$v") || die "the downloaded Node.js reports version '$v'"
        [ "$major" -ge "$NODE_MIN_MAJOR" ] || die "the downloaded Node.js is $v, older than $NODE_MIN_MAJOR"
        downloaded=$work_dir/runtime
        node=$PREFIX/runtime/bin/node
        config_node=$work_dir/runtime/bin/node
    else
        config_node=$node
    fi
    say "using Node.js $("$config_node" --version) at $node"

    # Validate the config with node (the agent itself validates the details at start).
    # shellcheck disable=SC2016
    "$config_node" -e '
        const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        if (typeof c !== "object" || c === null || Array.isArray(c)) throw new Error("not a JSON object");
        const state = c.stateDir ?? "/var/lib/idle-stop";
        if (state.replace(/\/+$/, "") !== "/var/lib/idle-stop") throw new Error(`stateDir must be /var/lib/idle-stop (the installer creates it and the service may write only there), got ${JSON.stringify(c.stateDir)}`);
        if (c.holdsDir !== undefined && !/^\/var\/lib\/idle-stop\/[A-Za-z0-9._-]+\/?$/.test(String(c.holdsDir)) || /\/\.\.?\/?$/.test(String(c.holdsDir ?? ""))) throw new Error(`holdsDir must be a directory directly inside /var/lib/idle-stop, got ${JSON.stringify(c.holdsDir)}`);
        console.log(c.idleMinutes ?? "");
        console.log(String(c.holdsDir ?? "/var/lib/idle-stop/holds").replace(/\/+$/, ""));
    ' "$work_dir/agent.json" >"$work_dir/idle-minutes" 2>"$work_dir/config-error" ||
        die "--config-b64: $(grep -m1 Error "$work_dir/config-error" | sed 's/^[A-Za-z]*Error: //' || tail -n 1 "$work_dir/config-error")"
    idle_minutes=$(sed -n 1p "$work_dir/idle-minutes")
    holds_dir=$(sed -n 2p "$work_dir/idle-minutes")
    is_uint "$idle_minutes" || idle_minutes=""
    # The agent's own check of the config (exit code 2 = bad config), before anything changes.
    rc=0
    "$config_node" "$payload/idle-stop-agent.js" status --config "$work_dir/agent.json" \
        </dev/null >/dev/null 2>"$work_dir/agent-check" || rc=$?
    [ "$rc" != 2 ] || die "the agent rejects the config: $(head -n 3 "$work_dir/agent-check" | sed "s|$work_dir/agent.json|(--config-b64)|g")"
    check_proc_access

    # Only one installer / uninstaller at a time.
    mkdir -p "$PREFIX"
    chmod 0755 "$PREFIX"
    if command -v flock >/dev/null 2>&1; then
        exec 8<"$PREFIX"
        flock -w 600 8 || die "another idle-stop install is still running"
    fi
    [ -f "$MANIFEST" ] || {
        echo "# idle-stop manifest: what the installer created; uninstall.sh removes exactly this" >"$MANIFEST"
        chmod 0644 "$MANIFEST"
    }
    manifest_add "dir $PREFIX"

    # The agent's user.
    if ! getent passwd "$AGENT_USER" >/dev/null 2>&1; then
        nologin=$(command -v nologin 2>/dev/null || true)
        for n in /usr/sbin/nologin /sbin/nologin; do [ -n "$nologin" ] || { [ -x "$n" ] && nologin=$n; }; done
        [ -n "$nologin" ] || nologin=/bin/false
        if ! getent group "$AGENT_USER" >/dev/null 2>&1; then
            groupadd --system "$AGENT_USER" || die "could not create group $AGENT_USER"
            manifest_add "group $AGENT_USER"
        fi
        useradd --system --gid "$AGENT_USER" --no-create-home --home-dir /nonexistent \
            --shell "$nologin" --comment "idle-stop agent" "$AGENT_USER" ||
            die "could not create user $AGENT_USER"
        manifest_add "user $AGENT_USER"
        say "created system user $AGENT_USER"
    fi

    configure_proc_access

    # Node.js in place (a downloaded runtime moves in now).
    if [ -n "$downloaded" ]; then
        rm -rf "$PREFIX/runtime"
        mv "$downloaded" "$PREFIX/runtime"
        manifest_add "dir $PREFIX/runtime"
    elif [ -d "$PREFIX/runtime" ] && [ "${node#"$PREFIX"/runtime/}" = "$node" ]; then
        rm -rf "$PREFIX/runtime" # a runtime an earlier install downloaded, no longer needed
        manifest_remove "dir $PREFIX/runtime"
    fi
    echo "$node" >"$work_dir/node-path"
    put_file "$work_dir/node-path" "$PREFIX/node-path" 0644
    ln -sfn "$node" "$PREFIX/node.idle-stop-new"
    mv -f "$PREFIX/node.idle-stop-new" "$PREFIX/node"

    # Files under /opt/idle-stop.
    put_file "$payload/idle-stop-agent.js" "$PREFIX/idle-stop-agent.js" 0644
    put_file "$payload/uninstall.sh" "$PREFIX/uninstall.sh" 0755
    put_file "$payload/idle-stop-daemon.sh" "$PREFIX/idle-stop-daemon.sh" 0755
    put_file "$payload/idle-stop-agent.service" "$PREFIX/idle-stop-agent.service" 0644
    {
        echo "idle-stop agent, release $release"
        echo "Stops this machine after ${idle_minutes:-N} idle minutes (no SSH session, no hold)."
        echo "Commands: idle-stop status | idle-stop hold 2h | idle-stop release --all"
        echo "Config: $ETC_DIR/agent.json; state: $STATE_DIR; remove: sudo sh $PREFIX/uninstall.sh"
    } >"$work_dir/README"
    put_file "$work_dir/README" "$PREFIX/README" 0644

    # /etc/idle-stop
    if [ ! -d "$ETC_DIR" ]; then mkdir -p "$ETC_DIR"; fi
    manifest_add "dir $ETC_DIR"
    chown root:root "$ETC_DIR"
    chmod 0755 "$ETC_DIR"
    put_file "$work_dir/agent.json" "$ETC_DIR/agent.json" 0644
    if [ "$credentials_stdin" = 1 ]; then
        (
            umask 077
            rm -f "$ETC_DIR/credentials.idle-stop-new"
            cp "$work_dir/credentials" "$ETC_DIR/credentials.idle-stop-new"
            chmod 0600 "$ETC_DIR/credentials.idle-stop-new"
            chown "$AGENT_USER:$AGENT_USER" "$ETC_DIR/credentials.idle-stop-new"
            mv -f "$ETC_DIR/credentials.idle-stop-new" "$ETC_DIR/credentials"
        )
        echo "AWS_SHARED_CREDENTIALS_FILE=$ETC_DIR/credentials" >"$work_dir/agent.env"
    else
        rm -f "$ETC_DIR/credentials" # an earlier install's key (IAM-user mode) is no longer used
        : >"$work_dir/agent.env"
    fi
    put_file "$work_dir/agent.env" "$ETC_DIR/agent.env" 0644

    # State: kept across re-installs (spool, holds).
    secure_state_dir

    # The idle-stop command for every user.
    mkdir -p "$(dirname "$WRAPPER")"
    claim_file "$WRAPPER"
    put_file "$payload/idle-stop-wrapper.sh" "$WRAPPER" 0755

    # The one-line login notice for interactive SSH logins.
    claim_file "$PROFILE_SCRIPT"
    if [ -n "$idle_minutes" ]; then
        if [ "$idle_minutes" = 1 ]; then after="1 idle minute"; else after="$idle_minutes idle minutes"; fi
    else
        after="a few idle minutes"
    fi
    notice="idle-stop: this machine stops after $after with no SSH session; 'idle-stop hold 2h' keeps it awake."
    cat >"$work_dir/profile" <<EOF_PROFILE
# $MARKER: one-line notice for interactive logins. Removed by /opt/idle-stop/uninstall.sh.
# Non-interactive shells (ssh host CMD, scp, sftp, scripts) print nothing.
case \$- in
*i*)
    if [ -t 1 ] && [ -x /usr/local/bin/idle-stop ]; then
        printf '%s\\n' "$notice"
    fi
    ;;
esac
EOF_PROFILE
    put_file "$work_dir/profile" "$PROFILE_SCRIPT" 0644

    configure_sshd

    # Supervision: systemd where it is PID 1, otherwise cron + a detached daemon.
    if have_systemd; then
        start_with_systemd
    else
        start_with_fallback
    fi

    # Only now is this release installed. Written last: when a step above fails, RELEASE still
    # names the previous release, whose uninstall (`pulumi destroy`) then removes everything,
    # instead of taking the half-installed new release for a newer installation and leaving it.
    echo "$release" >"$work_dir/RELEASE"
    put_file "$work_dir/RELEASE" "$PREFIX/RELEASE" 0644
    say "release $release installed (idle-stop status shows what it sees)"
}

if [ "${IDLE_STOP_INSTALL_LIBRARY:-}" != 1 ]; then
    main "$@"
fi
