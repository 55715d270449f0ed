// The CloudWatch sink (publish/aws/), loaded lazily (dynamic import, bundled by esbuild as a lazy
// require) so `sessions`, `status` and holds never load the signing and HTTPS code.
import { Clock } from "../system/clock";
import type { MetricSink } from "./metric-sink";

export async function createCloudWatchSink(region: string | undefined, clock: Clock): Promise<MetricSink> {
    const { createSink } = await import("./aws/sink");
    return createSink(region, clock);
}
