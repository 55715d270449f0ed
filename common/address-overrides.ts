/**
 * Current SSH addresses handed to the program for one run by the laptop command's lifecycle
 * (`idle-stop deploy` / `idle-stop destroy`, behind `npm run deploy` / `npm run destroy`).
 *
 * Why: `remote.Command` runs its delete (and any re-run) with the connection stored in state. A
 * box that idle-stop stopped and something started again has a new public address, and a stopped
 * box has none, so the stored one is useless and the instance's own (refreshed) address may be
 * empty. The lifecycle wakes the boxes it must reach and passes their current addresses here, in
 * the environment rather than in stack config, so nothing is written to Pulumi.<stack>.yaml.
 *
 * No Pulumi imports: the laptop command uses the same name and format.
 */
import { SSH_HOST_PATTERN } from "./ssh-names";

/**
 * `1`: the run only moves each agent push's stored connection to the current address and keeps
 * what is installed (the push resources ignore every other change). The lifecycle runs it, targeted
 * at the agent commands, before a destroy or a deploy: a replaced or deleted `remote.Command` runs
 * its delete with the stored connection, which must be the box's address now.
 */
export const connectionOnlyEnv = "IDLE_STOP_CONNECTION_ONLY";

export function parseConnectionOnly(raw: string | undefined): boolean {
    return raw === "1";
}

/** `{"<watched instance name>": "<host or address>", ...}` as JSON; each host a DNS name or IP address. */
export const addressOverridesEnv = "IDLE_STOP_SSH_HOSTS";

/**
 * The names and their hosts, in an object without a prototype: the program looks a box up by its
 * name, and a box named "constructor" must find nothing rather than Object.prototype.constructor.
 */
export function parseAddressOverrides(raw: string | undefined): Record<string, string> {
    const hosts = Object.create(null) as Record<string, string>;
    if (raw === undefined || raw.trim() === "") return hosts;
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = undefined;
    }
    if (
        typeof parsed !== "object" ||
        parsed === null ||
        Array.isArray(parsed) ||
        !Object.values(parsed).every((v) => typeof v === "string" && SSH_HOST_PATTERN.test(v))
    ) {
        throw new Error(
            `${addressOverridesEnv}: ${JSON.stringify(raw)} is not allowed; expected a JSON object of instance name to host, e.g. {"devbox": "203.0.113.10"}`,
        );
    }
    // Own keys only (JSON.parse makes "__proto__" one); copied as data, never through a setter.
    for (const [name, host] of Object.entries(parsed as Record<string, string>)) hosts[name] = host;
    return hosts;
}

export function formatAddressOverrides(hosts: Record<string, string>): string {
    return JSON.stringify(hosts);
}
