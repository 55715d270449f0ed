/**
 * User data for a created instance: make sure Node.js >= 20 (the bundled AWS SDK's floor) is on
 * the box before the agent is pushed. Ubuntu and Debian packages are older than that, so it
 * installs the official LTS binary, verified against the release's SHASUMS256.txt, under
 * /usr/local, with the agent installer's own download (agent/install/node-download.sh, embedded
 * here). The agent installer waits for cloud-init and would fetch a runtime itself if this
 * failed, so a failure here is logged, not fatal.
 */
import * as fs from "fs";
import * as path from "path";
import { checkHttpsUrl } from "./validation";

const nodeDownloadScript = path.resolve(__dirname, "..", "agent", "install", "node-download.sh");

/**
 * `nodeDistUrl` is checked again here (the stack config reader checked it already; a component
 * caller's `instance.nodeDistUrl` has not been): only the normalized URL, which holds no quote,
 * `$`, `@` or `\` (common/download-url.ts), goes into the script.
 */
export function nodeUserData(nodeDistUrl: string): string {
    const dist = checkHttpsUrl("instance.nodeDistUrl", nodeDistUrl);
    return `#!/bin/sh
# idle-stop: ensure Node.js >= 20 for the idle-stop agent.
set -eu
say() { printf 'idle-stop: %s\\n' "$*" >&2; }
die() {
    printf 'idle-stop: error: %s\\n' "$*" >&2
    exit 1
}
${fs.readFileSync(nodeDownloadScript, "utf8")}
dist='${dist}'
if command -v node >/dev/null 2>&1 && major=$(node_major_of "$(node --version 2>/dev/null)") && [ "$major" -ge "$NODE_MIN_MAJOR" ]; then
    exit 0
fi
if ! (node_arch) >/dev/null 2>&1; then
    say "no Node.js build for $(uname -m); the agent installer will report it"
    exit 0
fi
download_node "$dist" /usr/local/lib/nodejs
mkdir -p /usr/local/bin
ln -sf /usr/local/lib/nodejs/bin/node /usr/local/bin/node
/usr/local/bin/node --version
`;
}
