// What the deployment hands the installer, checked before anything on the box changes: the
// agent config (the agent's own parser, plus where the installer lets it keep state) and the
// credentials on stdin.
import { errorMessage, UsageError } from "../../../common/errors";
import { Config, parseConfig } from "../config";
import { fail } from "./messages";
import { STATE_DIR } from "./paths";

interface AgentConfigInput {
    /** The decoded bytes, installed as /etc/idle-stop/agent.json (with sshd's facts added: sshd.ts recordSshdFacts). */
    bytes: Buffer;
    config: Config;
    /** The holds directory without trailing slashes (directly inside STATE_DIR). */
    holdsDir: string;
}

export function decodeAgentConfig(b64: string): AgentConfigInput {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64.replace(/\s+/g, ""))) fail("--config-b64 is not valid base64");
    const bytes = Buffer.from(b64, "base64");
    const text = bytes.toString("utf8");
    if (!text.trimStart().startsWith("{")) fail("--config-b64 does not decode to a JSON object");
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        fail(`--config-b64: ${errorMessage(e)}`);
    }
    let config: Config;
    try {
        config = parseConfig(raw, "(--config-b64)");
    } catch (e) {
        if (e instanceof UsageError) fail(`the agent rejects the config: ${e.message}`);
        throw e;
    }
    // The service may write only STATE_DIR (ReadWritePaths=), which the installer creates.
    if (config.stateDir.replace(/\/+$/, "") !== STATE_DIR) {
        fail(
            `--config-b64: stateDir must be ${STATE_DIR} (the installer creates it and the service may write only there), got ${JSON.stringify(config.stateDir)}`,
        );
    }
    const holds = config.holdsDir;
    if (!new RegExp(`^${STATE_DIR}/[A-Za-z0-9._-]+/?$`).test(holds) || /\/\.\.?\/?$/.test(holds)) {
        fail(`--config-b64: holdsDir must be a directory directly inside ${STATE_DIR}, got ${JSON.stringify(holds)}`);
    }
    return { bytes, config, holdsDir: holds.replace(/\/+$/, "") };
}

/** The AWS shared credentials file on stdin (IAM-user mode); kept in memory, never world-readable. */
export async function readCredentials(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const credentials = Buffer.concat(chunks);
    if (credentials.length === 0) fail("--credentials-stdin was given but stdin is empty");
    if (!/aws_access_key_id/i.test(credentials.toString("utf8"))) {
        fail("the credentials on stdin are not an AWS shared credentials file (no aws_access_key_id)");
    }
    return credentials;
}
