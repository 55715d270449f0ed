// AWS credentials from exactly the sources the agent is deployed with, each through the SDK's own
// provider: the environment (AWS_ACCESS_KEY_ID/...), the shared credentials file (IAM-user mode
// writes one and points AWS_SHARED_CREDENTIALS_FILE at it; AWS_PROFILE selects a profile), and
// the instance role through the metadata service (IMDSv2 tokens, AWS_EC2_METADATA_SERVICE_ENDPOINT,
// AWS_EC2_METADATA_DISABLED, as the SDK). The SDK's full chain (SSO, web identity, credential
// processes, containers) costs memory and start-up the agent has no use for.
import { fromEnv } from "@aws-sdk/credential-provider-env";
import { CredentialsProviderError } from "@smithy/core/config";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { getProfileName, parseKnownFiles } from "@smithy/shared-ini-file-loader";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

/** Refresh credentials that expire this soon (the SDK's own window). */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;

/** Static keys of the selected profile in the shared credentials/config files. */
function fromSharedCredentialsFile(): AwsCredentialIdentityProvider {
    return async () => {
        const profile = getProfileName({});
        // Read afresh each time (only at start and after AWS rejected the cached keys): a re-install may have rotated the key.
        const profiles = await parseKnownFiles({ profile, ignoreCache: true });
        const p = profiles[profile];
        if (p?.aws_access_key_id && p.aws_secret_access_key) {
            return {
                accessKeyId: p.aws_access_key_id,
                secretAccessKey: p.aws_secret_access_key,
                ...(p.aws_session_token ? { sessionToken: p.aws_session_token } : {}),
            };
        }
        throw new CredentialsProviderError(`no aws_access_key_id/aws_secret_access_key for profile "${profile}" in the shared credentials file`, {
            tryNextLink: true,
        });
    };
}

function imdsDisabled(): boolean {
    const v = process.env.AWS_EC2_METADATA_DISABLED;
    return v !== undefined && v !== "" && v.toLowerCase() !== "false";
}

export interface CredentialSource {
    /** Credentials, cached until REFRESH_BEFORE_EXPIRY_MS before they expire. */
    get(): Promise<AwsCredentialIdentity>;
    /** Forget the cached credentials (after AWS rejected them), so the next get() asks again. */
    invalidate(): void;
}

/** The first source that has credentials wins, in this order: environment, file, instance role. */
export function credentialChain(now: () => number): CredentialSource {
    const links: AwsCredentialIdentityProvider[] = [fromEnv(), fromSharedCredentialsFile()];
    if (!imdsDisabled()) links.push(fromInstanceMetadata({ timeout: 1000, maxRetries: 1 }));
    let cached: AwsCredentialIdentity | null = null;
    let pending: Promise<AwsCredentialIdentity> | null = null;
    const resolve = async (): Promise<AwsCredentialIdentity> => {
        const problems: string[] = [];
        for (const link of links) {
            try {
                return await link();
            } catch (e) {
                problems.push(e instanceof Error ? e.message : String(e));
            }
        }
        throw new CredentialsProviderError(`no AWS credentials: ${problems.join("; ")}`, { tryNextLink: false });
    };
    const fresh = (c: AwsCredentialIdentity): boolean => c.expiration === undefined || c.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS;
    return {
        get() {
            if (cached && fresh(cached)) return Promise.resolve(cached);
            pending ??= resolve().then(
                (c) => {
                    cached = c;
                    pending = null;
                    return c;
                },
                (e: unknown) => {
                    pending = null;
                    throw e;
                },
            );
            return pending;
        },
        invalidate() {
            cached = null;
        },
    };
}
