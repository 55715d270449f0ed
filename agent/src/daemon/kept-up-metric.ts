// The KeptUpBy datapoints (common/metric.ts): per kind of signal, what it added to ActiveSessions
// in each sample of a publish period, aggregated like ActiveSessions (same period, same request).
// A kind that added nothing in the whole period sends nothing: a metric without data costs nothing.
import { KEPT_UP_BY_METRIC, KEPT_UP_SIGNALS, KeptUpSignal } from "../../../common/metric";
import { Datapoint, PeriodAggregator } from "../publish/datapoint";
import type { KeptUpShare } from "../signals/signal";

export class KeptUpAggregator {
    private readonly byKind: Map<KeptUpSignal, PeriodAggregator>;

    constructor(periodMs: number, key: { ns: string; iid: string }) {
        // Every kind gets every sample (0 when it added nothing), so the statistics are per period.
        this.byKind = new Map(KEPT_UP_SIGNALS.map((sig) => [sig, new PeriodAggregator(periodMs, { ...key, mn: KEPT_UP_BY_METRIC, sig })]));
    }

    /** Adds a sample's shares; returns the finished period's datapoints of the kinds that kept the box up. */
    add(shares: readonly KeptUpShare[], at: number): Datapoint[] {
        const adds = new Map(shares.map((s) => [s.signal, s.adds]));
        const done: Datapoint[] = [];
        for (const [sig, agg] of this.byKind) {
            const dp = agg.add(adds.get(sig) ?? 0, at);
            if (dp && dp.max > 0) done.push(dp);
        }
        return done;
    }

    /** The current periods (partial or not) of the kinds that kept the box up, removed. */
    take(): Datapoint[] {
        const out: Datapoint[] = [];
        for (const agg of this.byKind.values()) {
            const dp = agg.take();
            if (dp && dp.max > 0) out.push(dp);
        }
        return out;
    }
}
