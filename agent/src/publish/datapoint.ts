// One published datapoint: the statistics of one publish period.
export interface Datapoint {
    /** Namespace, metric name, InstanceId dimension (kept per point so a spool survives config edits). */
    ns: string;
    mn: string;
    iid: string;
    /** The Signal dimension (KeptUpBy only): which kind of signal kept the box up. */
    sig?: string;
    /** Period start, ms since the epoch (the datapoint's Timestamp). */
    t: number;
    /** SampleCount, Sum, Minimum, Maximum of the samples in the period. */
    n: number;
    sum: number;
    min: number;
    max: number;
}

export function isDatapoint(v: unknown): v is Datapoint {
    if (typeof v !== "object" || v === null) return false;
    const o = v as Record<string, unknown>;
    return (
        typeof o.ns === "string" &&
        typeof o.mn === "string" &&
        typeof o.iid === "string" &&
        (o.sig === undefined || typeof o.sig === "string") &&
        ["t", "n", "sum", "min", "max"].every((k) => typeof o[k] === "number" && Number.isFinite(o[k])) &&
        (o.n as number) > 0
    );
}

/** Accumulates samples into publish periods aligned to the epoch (period start = floor(t/P)*P). */
export class PeriodAggregator {
    private cur: Datapoint | null = null;

    constructor(
        private readonly periodMs: number,
        private readonly key: { ns: string; mn: string; iid: string; sig?: string },
    ) {}

    periodStart(atMs: number): number {
        return Math.floor(atMs / this.periodMs) * this.periodMs;
    }

    /** Adds a sample; returns the previous period's datapoint when this sample starts a new period. */
    add(value: number, atMs: number): Datapoint | null {
        const start = this.periodStart(atMs);
        let done: Datapoint | null = null;
        if (this.cur !== null && this.cur.t !== start) done = this.take();
        if (this.cur === null) {
            this.cur = { ...this.key, t: start, n: 1, sum: value, min: value, max: value };
        } else {
            this.cur.n++;
            this.cur.sum += value;
            this.cur.min = Math.min(this.cur.min, value);
            this.cur.max = Math.max(this.cur.max, value);
        }
        return done;
    }

    /** Ends the current period if atMs is past it (a period with no later sample yet). */
    closeIfOver(atMs: number): Datapoint | null {
        if (this.cur !== null && atMs >= this.cur.t + this.periodMs) return this.take();
        return null;
    }

    /** The current (possibly partial) period, removed. */
    take(): Datapoint | null {
        const d = this.cur;
        this.cur = null;
        return d;
    }
}
