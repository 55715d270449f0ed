// Where CloudWatch is, decided exactly as @aws-sdk/client-cloudwatch decides it, by the client's own
// pieces: an endpoint URL from the environment or the shared config file (AWS_ENDPOINT_URL_CLOUDWATCH,
// AWS_ENDPOINT_URL, endpoint_url, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), otherwise the client's
// endpoint rules for the region's partition (aws, aws-cn, aws-us-gov, ...) with FIPS and dual-stack
// (AWS_USE_FIPS_ENDPOINT / use_fips_endpoint, AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint).
import { defaultEndpointResolver } from "@aws-sdk/client-cloudwatch/dist-es/endpoint/endpointResolver";
import { commonParams } from "@aws-sdk/client-cloudwatch/dist-es/endpoint/EndpointParameters";
import {
    loadConfig,
    NODE_REGION_CONFIG_FILE_OPTIONS,
    NODE_REGION_CONFIG_OPTIONS,
    NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
    NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
} from "@smithy/core/config";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";

/** CloudWatch's service id in the SDK (AWS_ENDPOINT_URL_<ID> and the config file's services section). */
const SERVICE_ID = "CloudWatch";

/** The region: the agent's config, else the SDK's (AWS_REGION, the config file), else AWS_DEFAULT_REGION. */
export async function resolveRegion(configured: string | undefined): Promise<string | undefined> {
    if (configured) return configured;
    try {
        const r = await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
        if (r) return r;
    } catch {
        /* not configured for the SDK */
    }
    return process.env.AWS_DEFAULT_REGION || undefined;
}

export async function resolveCloudWatchEndpoint(region: string | undefined): Promise<URL> {
    // The same client config fields the CloudWatch client hands to this function (its builtInParams).
    const clientConfig = {
        serviceId: SERVICE_ID,
        region: async () => region,
        // The installed client still reads these (its runtimeConfig), and the agent must decide as it does.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        useFipsEndpoint: loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS),
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        useDualstackEndpoint: loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS),
        endpointProvider: defaultEndpointResolver,
        isCustomEndpoint: false,
    };
    type ClientConfig = Parameters<typeof getEndpointFromInstructions>[2];
    const endpoint = await getEndpointFromInstructions({}, { getEndpointParameterInstructions: () => commonParams }, clientConfig as ClientConfig);
    return new URL(endpoint.url.href);
}
