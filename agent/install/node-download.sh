# shellcheck shell=sh
# idle-stop: downloads the official Node.js LTS binary and verifies it (a POSIX sh fragment).
#
# The one copy of the download: install.sh sources it from the payload, and the cloud-init user
# data of created instances (components/node-user-data.ts) embeds it, so both fetch the same
# release line from the same mirror and check it the same way (docs/reference/installer.md).
# The includer defines say MESSAGE and die MESSAGE (prints, exits 1). Defines download_node,
# node_* and NODE_* names only, and runs nothing when sourced.

# Node.js >= 20: the bundled AWS SDK's floor.
NODE_MIN_MAJOR=20
# The release line and its checksum list on the mirror (the tarball's URL is derived from it).
NODE_SUMS_PATH=latest-v22.x/SHASUMS256.txt

# node_fetch URL FILE: downloads with curl or wget.
node_fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -T 20 -t 3 -O "$2" "$1"
    else
        die "neither curl nor wget is installed, so Node.js >= $NODE_MIN_MAJOR cannot be downloaded; install Node.js >= $NODE_MIN_MAJOR (or curl/wget) and deploy again"
    fi
}

# node_sha256 FILE: prints the file's SHA-256.
node_sha256() {
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

# node_verify DIR FILE SHA256: DIR/FILE has that checksum (sha256sum -c where it exists).
node_verify() {
    if command -v sha256sum >/dev/null 2>&1; then
        (cd "$1" && printf '%s  %s\n' "$3" "$2" | sha256sum -c - >/dev/null 2>&1)
    else
        [ "$(node_sha256 "$1/$2")" = "$3" ]
    fi
}

# node_arch: this machine's architecture in Node.js's download names.
node_arch() {
    m=$(uname -m)
    case $m in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no Node.js download for machine architecture '$m' (x86_64 and aarch64 are supported); install Node.js >= $NODE_MIN_MAJOR and deploy again" ;;
    esac
}

# download_node BASE_URL DEST: downloads the current Node.js LTS for this architecture from
# BASE_URL (a https://nodejs.org/dist mirror), verifies it against its SHASUMS256.txt, and
# unpacks it into DEST (replacing DEST by a rename, so DEST is never half there). Nothing on stdout.
download_node() {
    node_base=${1%/}
    node_dest=$2
    node_line=${NODE_SUMS_PATH%%/*}
    node_cpu=$(node_arch)
    node_work=$(mktemp -d "${TMPDIR:-/tmp}/idle-stop-node.XXXXXX")
    # A subshell, so its EXIT trap removes the work directory whatever happens, and the
    # includer's traps stay its own.
    (
        trap 'rm -rf "$node_work"' EXIT
        trap 'exit 1' INT TERM HUP
        sums_url=$node_base/$NODE_SUMS_PATH
        say "downloading Node.js ($node_line, linux-$node_cpu) from $node_base"
        node_fetch "$sums_url" "$node_work/SHASUMS256.txt" || die "could not download $sums_url"
        line=$(grep -E "^[0-9a-f]{64}  node-v[0-9]+\.[0-9]+\.[0-9]+-linux-$node_cpu\.tar\.gz\$" "$node_work/SHASUMS256.txt" | head -n 1) || true
        [ -n "$line" ] || die "$sums_url lists no node-v*-linux-$node_cpu.tar.gz"
        want=${line%% *}
        file=${line##* }
        node_fetch "${sums_url%/*}/$file" "$node_work/$file" || die "could not download ${sums_url%/*}/$file"
        if ! node_verify "$node_work" "$file" "$want"; then
            die "checksum mismatch for $file: SHASUMS256.txt says $want, the download is $(node_sha256 "$node_work/$file"); refusing to install it"
        fi
        mkdir "$node_work/unpacked"
        tar -xzf "$node_work/$file" -C "$node_work/unpacked" --strip-components=1 --no-same-owner ||
            die "could not unpack $file"
        [ -x "$node_work/unpacked/bin/node" ] || die "$file has no bin/node"
        chmod -R u+rwX,go+rX,go-w "$node_work/unpacked"
        rm -rf "$node_dest.new"
        mkdir -p "$(dirname "$node_dest")"
        mv "$node_work/unpacked" "$node_dest.new"
        rm -rf "$node_dest"
        mv "$node_dest.new" "$node_dest"
        say "Node.js $("$node_dest/bin/node" --version 2>/dev/null || echo '?') installed in $node_dest"
    )
}

# node_major_of VERSION: prints the major number of "v22.3.0" (fails on anything else).
node_major_of() {
    node_v=${1#v}
    node_v=${node_v%%.*}
    case $node_v in '' | *[!0-9]*) return 1 ;; esac
    printf '%s\n' "$node_v"
}
