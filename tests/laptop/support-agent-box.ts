// A watched box's own `idle-stop` for laptop tests: the real agent (the bundle `npm run build` makes,
// built from the current source by tests/support/agent.ts) first on an ssh user's PATH, with a
// temp agent.json and state dir of its own, so `idle-stop hold` over ssh makes a real hold.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { shellQuote } from "../../common/shell-quote";
import { agentBundle, writeConfig } from "../support/agent";

export interface AgentBox {
    readonly user: string;
    readonly configPath: string;
    readonly holdsDir: string;
}

/** What the tests read of the agent's `status --json` (docs/reference/agent.md). */
export interface AgentStatus {
    holds: Array<{ id: string; user: string; reason: string | null; expiresAt: string | null }>;
}

/**
 * Puts `idle-stop` (the real agent with its own config) first on the PATH that USER's
 * ~/.ssh/environment sets; the sshd must run with `PermitUserEnvironment PATH`.
 */
export function installAgentBox(user: string): AgentBox {
    const bundle = agentBundle();
    const cfg = writeConfig({});
    // The ssh user reads the bundle and config, and writes its holds, as on a box.
    for (const dir of [path.dirname(bundle), cfg.dir, cfg.stateDir]) chmodSync(dir, 0o755);
    chmodSync(cfg.holdsDir, 0o1777);
    const home = `/home/${user}`;
    mkdirSync(`${home}/bin`, { recursive: true });
    mkdirSync(`${home}/.ssh`, { recursive: true });
    writeFileSync(`${home}/.ssh/environment`, `PATH=${home}/bin:/usr/bin:/bin\n`);
    const run = [process.execPath, bundle].map(shellQuote).join(" ");
    writeFileSync(`${home}/bin/idle-stop`, `#!/bin/sh\nexec ${run} "$@" --config ${shellQuote(cfg.path)}\n`, { mode: 0o755 });
    return { user, configPath: cfg.path, holdsDir: cfg.holdsDir };
}
