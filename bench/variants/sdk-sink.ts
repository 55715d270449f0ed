// Bench variant (not shipped): the publisher the agent had before, @aws-sdk/client-cloudwatch with
// the SDK's full credential chain. bench/lib/variants.ts builds it in place of agent/src/publish/aws/sink.ts
// to measure what the smaller publisher saves.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { MetricSink } from "../../agent/src/publish/metric-sink";

export async function createSink(region: string | undefined): Promise<MetricSink> {
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
                        Dimensions: [{ Name: "InstanceId", Value: p.iid }, ...(p.sig === undefined ? [] : [{ Name: "Signal", Value: p.sig }])],
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
