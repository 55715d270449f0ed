/**
 * User data for a created instance: make sure Node.js >= 20 (the bundled AWS SDK's floor) is on
 * the box before the agent is pushed. Ubuntu and Debian packages are older than that, so it
 * installs the official LTS binary, verified against the release's SHASUMS256.txt, under
 * /usr/local. The agent installer waits for cloud-init and would fetch a runtime itself if this
 * failed, so a failure here is logged, not fatal.
 */
export function nodeUserData(nodeDistUrl: string): string {
    return `#!/bin/sh
# idle-stop: ensure Node.js >= 20 for the idle-stop agent.
set -eu
dist='${nodeDistUrl.replace(/'/g, "")}'
major() { "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 20 ]; then exit 0; fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "idle-stop: no Node.js build for $(uname -m); the agent installer will report it" >&2; exit 0 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
curl -fsSLO "$dist/latest-v22.x/SHASUMS256.txt"
tarball=$(awk -v a="linux-$arch.tar.gz" '$2 ~ a"$" {print $2; exit}' SHASUMS256.txt)
[ -n "$tarball" ] || { echo "idle-stop: no linux-$arch tarball listed at $dist" >&2; exit 0; }
curl -fsSLO "$dist/latest-v22.x/$tarball"
grep " $tarball\\$" SHASUMS256.txt | sha256sum -c -
mkdir -p /usr/local/lib/nodejs
tar -xzf "$tarball" -C /usr/local/lib/nodejs --strip-components=1 --no-same-owner
ln -sf /usr/local/lib/nodejs/bin/node /usr/local/bin/node
/usr/local/bin/node --version
`;
}
