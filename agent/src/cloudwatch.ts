// The only module that touches the AWS SDK. It is loaded lazily (dynamic import, bundled by
// esbuild as a lazy require) so `sessions`, `status` and holds start fast and small, and so the
// SDK's NodeVersionSupportWarning switch is set before the SDK module is evaluated.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { Datapoint } from "./datapoint";

export interface MetricSink {
    putMetricData(namespace: string, points: Datapoint[]): Promise<void>;
    close(): void;
}

/** Error codes meaning "this request's content is wrong", not "try again later". */
const REJECTED = new Set([
    "InvalidParameterValue", "InvalidParameterValueException", "InvalidParameterCombination",
    "InvalidParameterCombinationException", "MissingParameter", "MissingRequiredParameter",
    "MissingRequiredParameterException", "ValidationError", "SerializationException",
]);

export interface ErrorInfo {
    code: string;
    status: number | undefined;
    message: string;
    /** The request itself is invalid: retrying the same content will not help. */
    rejected: boolean;
    throttled: boolean;
}

export function classifyError(e: unknown): ErrorInfo {
    const o = (typeof e === "object" && e !== null ? e : {}) as {
        name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown };
    };
    const code = typeof o.name === "string" && o.name !== "Error" ? o.name : typeof o.code === "string" ? o.code : "Error";
    const status = typeof o.$metadata?.httpStatusCode === "number" ? o.$metadata.httpStatusCode : undefined;
    const message = typeof o.message === "string" ? o.message : String(e);
    const throttled = /Throttl|TooManyRequests|RequestLimitExceeded/i.test(code) || status === 429;
    const rejected = !throttled && ((REJECTED.has(code) && (status === undefined || status === 400)) || status === 413);
    return { code, status, message: message.slice(0, 300), rejected, throttled };
}

export async function createCloudWatchSink(region: string | undefined): Promise<MetricSink> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const sdk = await import("@aws-sdk/client-cloudwatch");
    const client: CloudWatchClient = new sdk.CloudWatchClient({
        region,
        // Our own loop retries with backoff and keeps the data: one attempt per call here.
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 5000, requestTimeout: 15000 },
    });
    return {
        async putMetricData(namespace, points) {
            await client.send(
                new sdk.PutMetricDataCommand({
                    Namespace: namespace,
                    MetricData: points.map((p) => ({
                        MetricName: p.mn,
                        Dimensions: [{ Name: "InstanceId", Value: p.iid }],
                        Timestamp: new Date(p.t),
                        Unit: "Count",
                        StatisticValues: { SampleCount: p.n, Sum: p.sum, Minimum: p.min, Maximum: p.max },
                    })),
                }),
            );
        },
        close() {
            client.destroy();
        },
    };
}
