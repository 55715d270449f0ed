// What once and run are given besides the config: the clock, and where datapoints go (tests and
// the bench pass their own sink; the agent publishes to CloudWatch).
import { PublishConfig } from "../config";
import { createCloudWatchSink } from "../publish/cloudwatch";
import { MetricSink } from "../publish/metric-sink";
import { Clock } from "../system/clock";

type SinkFactory = (c: PublishConfig, clock: Clock) => Promise<MetricSink>;

const cloudWatchSink: SinkFactory = (c, clock) => createCloudWatchSink(c.region, clock);

export interface PublishOptions {
    clock: Clock;
    /** Default: the CloudWatch sink for the config's region. */
    sinkFactory?: SinkFactory;
}

export function openSink(c: PublishConfig, o: PublishOptions): Promise<MetricSink> {
    return (o.sinkFactory ?? cloudWatchSink)(c, o.clock);
}
