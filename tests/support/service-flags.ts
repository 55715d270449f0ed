// The node flags the agent's daemon runs with, read from the systemd unit's ExecStart (the one
// place they are written down for systemd; idle-stop-daemon.sh repeats them, which a test checks).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const INSTALL_DIR = resolve(__dirname, "..", "..", "agent", "install");

export function serviceNodeFlags(): string[] {
    const unit = readFileSync(join(INSTALL_DIR, "idle-stop-agent.service"), "utf8");
    const m = /^ExecStart=\S+\/node\s+(.*?)\s*\S+\/idle-stop-agent\.js\s/m.exec(unit);
    if (!m) throw new Error("cannot find node's arguments in agent/install/idle-stop-agent.service's ExecStart");
    return m[1].split(/\s+/).filter(Boolean);
}
