/**
 * One clear line for what went wrong talking to AWS: which permission is missing, that there are
 * no credentials, that the instance does not exist. The SDK's own messages are long (an encoded
 * authorization failure message) or generic ("Could not load credentials from any providers").
 */
import { awsEndpointFunctions } from "@aws-sdk/core/client";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { RuntimeError } from "../../../common/errors";
import { printable, quotedPrintable } from "../../../common/printable";

/** Names of SDK errors, keyed by what the user should do about them. */
const accessDenied = new Set(["UnauthorizedOperation", "AccessDenied", "AccessDeniedException"]);
const expired = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const badCredentials = new Set([
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
]);
const unknownInstance = new Set(["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"]);
const networkCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH"]);

interface AwsCall {
    /** IAM action, e.g. `ec2:StartInstances`. */
    readonly action: string;
    /** What it was about, e.g. `i-0123456789abcdef0 in eu-west-1`. */
    readonly target: string;
}

function field(err: unknown, key: string): string | undefined {
    if (typeof err !== "object" || err === null) return undefined;
    const value = (err as Record<string, unknown>)[key];
    return typeof value === "string" ? value : undefined;
}

/** The profile names of the shared AWS files: `[name]` in credentials, `[profile name]` (or `[default]`) in config. */
function profileNames(): Set<string> {
    const home = process.env.HOME || homedir();
    const files = [
        { file: process.env.AWS_CONFIG_FILE || path.join(home, ".aws", "config"), config: true },
        { file: process.env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials"), config: false },
    ];
    const names = new Set<string>();
    for (const { file, config } of files) {
        if (!existsSync(file)) continue;
        for (const m of readFileSync(file, "utf8").matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)) {
            const section = m[1];
            if (!config) names.add(section);
            else if (section === "default") names.add(section);
            else if (/^profile\s/.test(section)) names.add(section.replace(/^profile\s+/, ""));
        }
    }
    return names;
}

/**
 * Why `profile` cannot be used, when it names no profile in ~/.aws/config or ~/.aws/credentials:
 * the SDK then says only "Could not load credentials from any providers".
 */
export function profileProblem(profile: string | undefined): string | undefined {
    if (profile === undefined || profile === "" || profileNames().has(profile)) return undefined;
    return `AWS profile ${quotedPrintable(profile, 100)} not found in ~/.aws/config or ~/.aws/credentials (\`aws configure list-profiles\` lists yours; --profile or AWS_PROFILE picks one)`;
}

/** The region in an AWS endpoint host name such as ec2.eu-west-1.amazonaws.com. */
function regionOfHost(host: string | undefined): string | undefined {
    return host === undefined ? undefined : /^[a-z0-9-]+\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

/** Whether the SDK knows `region` by name (its partitions' region lists, which name every launched region). */
function knownRegion(region: string): boolean {
    try {
        return (awsEndpointFunctions.partition(region) as { description?: string }).description !== undefined;
    } catch {
        return false;
    }
}

const regionAdvice = "check --region, AWS_REGION or the profile's region";

/** A bad region, from the error it caused: malformed, or a name DNS does not know (and the SDK neither). */
function regionProblem(err: unknown, message: string, code: string | undefined): string | undefined {
    const malformed = /Region not accepted: region="([^"]*)"/.exec(message);
    if (malformed) return `${quotedPrintable(malformed[1], 60)} is not an AWS region name such as eu-west-1: ${regionAdvice}`;
    const host = field(err, "hostname") ?? field((err as { cause?: unknown } | null)?.cause, "hostname");
    const region = regionOfHost(host);
    if (code === "ENOTFOUND" && region !== undefined && !knownRegion(region)) {
        return `unknown AWS region ${quotedPrintable(region, 60)} (there is no ${printable(host ?? "", 200)}): ${regionAdvice}`;
    }
    return undefined;
}

/** Turns an AWS SDK (or network) error into a RuntimeError whose message is one line. */
function explainAwsError(err: unknown, call: AwsCall): RuntimeError {
    const name = field(err, "name") ?? field(err, "Code") ?? "";
    const message = field(err, "message") ?? String(err);
    const code = field(err, "code") ?? field((err as { cause?: unknown } | null)?.cause, "code");
    let text: string;
    if (accessDenied.has(name)) {
        text = `missing permission ${call.action} on ${call.target}: your AWS identity is not allowed to call it (${name})`;
    } else if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
        text =
            profileProblem(process.env.AWS_PROFILE) ??
            "no AWS credentials: set AWS_PROFILE (after `aws sso login` for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    } else if (expired.has(name) || /token (is )?expired|SSO session .* expired/i.test(message)) {
        text = `your AWS credentials have expired (${name || message}); refresh them (e.g. \`aws sso login\`)`;
    } else if (badCredentials.has(name)) {
        text = `AWS rejected the credentials calling ${call.action} (${name}); check AWS_PROFILE / the access key`;
    } else if (unknownInstance.has(name)) {
        text = `no instance ${call.target} (${name}); check the instance id and the region`;
    } else if (regionProblem(err, message, code) !== undefined) {
        text = regionProblem(err, message, code) ?? "";
    } else if (/Region is missing/i.test(message)) {
        text = "no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile";
    } else if ((code !== undefined && networkCodes.has(code)) || name === "TimeoutError") {
        text = `cannot reach AWS for ${call.action} (${code ?? name}): check the network (or AWS_ENDPOINT_URL_*)`;
    } else {
        // The endpoint's own words: shown, but not as terminal control sequences.
        text = `${call.action} on ${call.target} failed: ${name ? `${printable(name, 100)}: ` : ""}${printable(message.split("\n")[0], 500)}`;
    }
    return new RuntimeError(text);
}

/** Runs one AWS call, explaining its failure. */
export async function awsCall<T>(call: AwsCall, run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (err) {
        throw explainAwsError(err, call);
    }
}
