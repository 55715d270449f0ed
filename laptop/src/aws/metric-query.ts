/** One GetMetricData query on a box's agent metric: what status (last datapoints) and savings (hours running) ask CloudWatch. */
import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { INSTANCE_ID_DIMENSION } from "../../../common/metric";
import type { WatchedBox } from "../stack-outputs";

/** The query for the box at `index` of one call (its Id is `m<index>`, which the answer's results carry). */
export function agentMetricQuery(box: WatchedBox, index: number, period: number, stat: "Maximum" | "SampleCount"): MetricDataQuery {
    return {
        Id: `m${index}`,
        ReturnData: true,
        MetricStat: {
            Metric: { Namespace: box.namespace, MetricName: box.metricName, Dimensions: [{ Name: INSTANCE_ID_DIMENSION, Value: box.instanceId }] },
            Period: period,
            Stat: stat,
        },
    };
}
