// One signal of use: something on the box that, while it lasts, keeps the instance up (terminal
// input, client traffic, other terminals, busy processes, a busy GPU, CPU, holds). Each signal is
// read once per sample, says how much it adds to the metric, and says why (its KeptUp entries:
// `status`, the status file, the KeptUpBy metric); the judge adds them up.
//
// A new signal is one file with a class that implements Signal<D> AND its keptUp method (so it is
// an ExplainedSignal<D>), its setting in agent.json, and one entry where the set is built:
// useSignals() in activity-tracker.ts for signals of use, sample.ts for holds. Nothing else: the
// daemon publishes its KeptUpBy datapoints and `status` prints its reasons from keptUp().
// Counting rules: docs/reference/metric.md.
import type { KeptUp, KeptUpSignal } from "../../../common/metric";
import type { Session } from "./sessions";

export interface SignalInput {
    /** Sample time, ms since the epoch. */
    now: number;
    /** The authenticated SSH sessions of this sample, listed once for every signal. */
    sessions: readonly Session[];
}

export interface Reading<D> {
    /** What this signal adds to the metric now; 0: it does not keep the box up. */
    active: number;
    /** What it saw, for `status` and the status file. */
    detail: D;
}

/**
 * Why one kind of signal keeps the box up now: what it adds to the metric (the KeptUpBy
 * datapoint's value) and one line per reason for people (`status`: "kept up by"). The adds of a
 * reading's shares sum to its `active`.
 */
export interface KeptUpShare {
    signal: KeptUpSignal;
    adds: number;
    details: string[];
}

export interface Signal<D> {
    /** Short name for logs and docs ("terminal-input", "holds"). */
    readonly name: string;
    sample(input: SignalInput): Reading<D>;
    /** Why this reading keeps the box up (empty when its active is 0). Required by the judge: see ExplainedSignal. */
    keptUp?(reading: Reading<D>): KeptUpShare[];
}

/** A signal the judge accepts: it says why it keeps the box up. */
export interface ExplainedSignal<D> extends Signal<D> {
    keptUp(reading: Reading<D>): KeptUpShare[];
}

/** Gives a signal whose class has no keptUp method (an older signal) its reasons; the signal keeps its other members. */
export function explained<D, T extends Signal<D>>(signal: T & Signal<D>, keptUp: (r: Reading<D>) => KeptUpShare[]): T & ExplainedSignal<D> {
    return Object.assign(signal, { keptUp });
}

/** One share, or none when the kind adds nothing. */
export function share(signal: KeptUpSignal, adds: number, details: string[]): KeptUpShare[] {
    return adds > 0 ? [{ signal, adds, details }] : [];
}

/** The readings of a set of signals, under the set's own keys. */
type Readings<S> = { [K in keyof S]: S[K] extends Signal<infer D> ? Reading<D> : never };

export interface Verdict<S> {
    /** The sum of what every signal adds: the metric's value for this sample. */
    active: number;
    readings: Readings<S>;
    /** Why, per kind, in the set's order (the same kind may appear twice: mergeShares joins them). */
    keptUp: KeptUpShare[];
}

/** The judge: reads every signal of the set once, in the set's order, and adds up what they keep up. */
export function judge<S extends Record<string, ExplainedSignal<unknown>>>(signals: S, input: SignalInput): Verdict<S> {
    const readings: Record<string, Reading<unknown>> = {};
    const keptUp: KeptUpShare[] = [];
    let active = 0;
    for (const [key, signal] of Object.entries(signals)) {
        const r = signal.sample(input);
        readings[key] = r;
        active += r.active;
        if (r.active > 0) keptUp.push(...signal.keptUp(r));
    }
    return { active, readings: readings as Readings<S>, keptUp: mergeShares(keptUp) };
}

/** One share per kind: adds summed, details concatenated, in first-seen order. */
export function mergeShares(shares: readonly KeptUpShare[]): KeptUpShare[] {
    const byKind = new Map<KeptUpSignal, KeptUpShare>();
    for (const s of shares) {
        const m = byKind.get(s.signal);
        if (m) {
            m.adds += s.adds;
            m.details.push(...s.details);
        } else byKind.set(s.signal, { signal: s.signal, adds: s.adds, details: [...s.details] });
    }
    return [...byKind.values()];
}

/** The shares as `status --json` carries them: one {signal, detail} per reason. */
export function keptUpList(shares: readonly KeptUpShare[]): KeptUp[] {
    return shares.flatMap((s) => s.details.map((detail) => ({ signal: s.signal, detail })));
}

/**
 * The window rule for signals measured from time to time (busy processes, the GPU, CPU): a thing
 * seen busy counts for windowMs after it was last seen busy, as input does (sessionIdleSeconds);
 * with windowMs 0 it counts while the latest measurement says busy. Keyed, so each process or GPU
 * has its own last-busy time; bounded (oldest dropped first). The last-busy times survive a daemon
 * restart through the status file (seen() / seed(): daemon/activity.ts), so a restart never cuts a
 * window short.
 */
/** One key's last-busy time, as a restarted daemon gets it back. */
export interface BusySeen<V> {
    key: string;
    at: number;
    value: V;
}

export class BusyWindow<V> {
    private readonly last = new Map<string, { at: number; value: V }>();
    private latest = new Set<string>();

    constructor(
        private readonly windowMs: number,
        private readonly max = 1000,
    ) {}

    /** One measurement: the keys busy now (with what to show for them); every other key is idle now. */
    measured(now: number, busy: ReadonlyMap<string, V>): void {
        this.latest = new Set(busy.keys());
        for (const [k, value] of busy) {
            this.last.delete(k); // re-insert: the map stays in last-busy order
            this.last.set(k, { at: now, value });
        }
        while (this.last.size > this.max) this.last.delete(this.last.keys().next().value as string);
    }

    /** Entries a restarted daemon keeps counting (from its status file): each counts until its window ends. */
    seed(entries: ReadonlyArray<BusySeen<V>>): void {
        for (const e of [...entries].sort((a, b) => a.at - b.at)) if (Number.isFinite(e.at)) this.last.set(e.key, { at: e.at, value: e.value });
    }

    /** The last-busy time of every entry still inside the window at `now` (for the status file). */
    seen(now: number): Array<BusySeen<V>> {
        if (this.windowMs <= 0) return [];
        return [...this.last].filter(([, e]) => now - e.at < this.windowMs).map(([key, e]) => ({ key, at: e.at, value: e.value }));
    }

    /** What counts now, most recent first; agoMs: since last seen busy, 0 when the latest measurement saw it busy. */
    counting(now: number): Array<{ value: V; agoMs: number }> {
        const out: Array<{ value: V; agoMs: number }> = [];
        for (const [k, e] of this.last) {
            // An entry "in the future" (the clock stepped back) counts as busy now: a step must not stop a run.
            const ago = Math.max(0, now - e.at);
            const inWindow = this.windowMs > 0 ? ago < this.windowMs : this.latest.has(k);
            if (inWindow) out.push({ value: e.value, agoMs: this.latest.has(k) ? 0 : ago });
            else this.last.delete(k);
        }
        return out.sort((a, b) => a.agoMs - b.agoMs); // stable: a measurement's own order within the same age
    }
}
