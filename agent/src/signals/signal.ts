// One signal of use: something on the box that, while it lasts, keeps the instance up (terminal
// input, client traffic, other terminals, CPU, holds). Each signal is read once per sample and
// says how much it adds to the metric; the judge adds them up. A new signal is one file that
// implements Signal, its setting in agent.json, and one entry where the set is built
// (activity-tracker.ts for signals of use, sample.ts for holds). Counting rules: docs/reference/metric.md.
import type { Session } from "./sessions";

export interface SignalInput {
    /** Sample time, ms since the epoch. */
    now: number;
    /** The authenticated SSH sessions of this sample, listed once for every signal. */
    sessions: readonly Session[];
}

interface Reading<D> {
    /** What this signal adds to the metric now; 0: it does not keep the box up. */
    active: number;
    /** What it saw, for `status` and the status file. */
    detail: D;
}

export interface Signal<D> {
    /** Short name for logs and docs ("terminal-input", "holds"). */
    readonly name: string;
    sample(input: SignalInput): Reading<D>;
}

/** The readings of a set of signals, under the set's own keys. */
type Readings<S> = { [K in keyof S]: S[K] extends Signal<infer D> ? Reading<D> : never };

export interface Verdict<S> {
    /** The sum of what every signal adds: the metric's value for this sample. */
    active: number;
    readings: Readings<S>;
}

/** The judge: reads every signal of the set once, in the set's order, and adds up what they keep up. */
export function judge<S extends Record<string, Signal<unknown>>>(signals: S, input: SignalInput): Verdict<S> {
    const readings: Record<string, Reading<unknown>> = {};
    let active = 0;
    for (const [key, signal] of Object.entries(signals)) {
        const r = signal.sample(input);
        readings[key] = r;
        active += r.active;
    }
    return { active, readings: readings as Readings<S> };
}
