// The agent's only source of time. Everything else is handed a Clock (or a `now` taken from one),
// so tests can drive time and a wall-clock step is noticed in one place (daemon/scheduler.ts).

export interface Clock {
    /** Wall-clock time, ms since the epoch (what datapoints are stamped with). */
    wall: () => number;
    /** Monotonic time in ms (never jumps). */
    mono: () => number;
    setTimer: (fn: () => void, ms: number) => unknown;
    clearTimer: (handle: unknown) => void;
}

export const systemClock: Clock = {
    wall: () => Date.now(),
    mono: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};
