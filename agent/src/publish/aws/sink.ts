// The CloudWatch MetricSink from the SDK's own parts (@smithy/signature-v4, the client's endpoint
// rules, the SDK's credential providers) and node:https with a kept-alive connection, in place of
// @aws-sdk/client-cloudwatch: the same requests (AWS JSON 1.0, SigV4), a fraction of the memory.
import { Clock, systemClock } from "../../system/clock";
import type { MetricSink } from "../metric-sink";
import type { Datapoint } from "../datapoint";
import { credentialChain } from "./credentials";
import { resolveCloudWatchEndpoint, resolveRegion } from "./endpoint";
import { jsonRpcClient } from "./json-rpc";
import { INSTANCE_ID_DIMENSION, SIGNAL_DIMENSION } from "../../../../common/metric";

export async function createSink(configuredRegion: string | undefined, clock: Clock = systemClock): Promise<MetricSink> {
    const region = await resolveRegion(configuredRegion);
    // Resolved at the first call, not here: a configuration error (say FIPS where the partition has
    // none) then shows as a publish error that is logged and retried, as with the SDK client.
    let endpoint: Promise<URL> | null = null;
    const client = jsonRpcClient({
        endpoint: () => {
            if (region === undefined) return Promise.reject(new Error("Region is missing"));
            endpoint ??= resolveCloudWatchEndpoint(region).catch((e: unknown) => {
                endpoint = null;
                throw e;
            });
            return endpoint;
        },
        region: region ?? "",
        signingName: "monitoring",
        targetPrefix: "GraniteServiceVersion20100801",
        credentials: credentialChain(() => clock.wall()),
        now: () => clock.wall(),
    });
    return {
        putMetricData(namespace: string, points: Datapoint[]) {
            return client.call("PutMetricData", {
                Namespace: namespace,
                MetricData: points.map((p) => ({
                    MetricName: p.mn,
                    Dimensions: [
                        { Name: INSTANCE_ID_DIMENSION, Value: p.iid },
                        ...(p.sig === undefined ? [] : [{ Name: SIGNAL_DIMENSION, Value: p.sig }]),
                    ],
                    // AWS JSON carries timestamps as epoch seconds.
                    Timestamp: p.t / 1000,
                    Unit: "Count",
                    StatisticValues: { SampleCount: p.n, Sum: p.sum, Minimum: p.min, Maximum: p.max },
                })),
            });
        },
        close() {
            client.close();
        },
    };
}
