// Prints where the agent's publisher sends CloudWatch requests for a region, under the current
// environment (AWS_USE_FIPS_ENDPOINT, AWS_ENDPOINT_URL_CLOUDWATCH, ...): `node probe.js REGION`.
// Bundled by the test with the agent's build settings (the SDK's endpoint rules ship as ES modules).
import { resolveCloudWatchEndpoint } from "../../agent/src/publish/aws/endpoint";

resolveCloudWatchEndpoint(process.argv[2]).then(
    (u) => process.stdout.write(`${u.href}\n`),
    (e: unknown) => {
        process.stdout.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    },
);
