// When to take samples: at wall-clock multiples of the sample interval (so periods line up with
// CloudWatch's minutes), but waiting on the monotonic clock. A timer armed for "the next multiple"
// measures its delay on the monotonic clock; if the wall clock is stepped meanwhile (NTP fixing a
// bad RTC at boot, an admin's `date -s`), the tick notices that wall and monotonic time disagree
// and re-aligns to the new wall clock at once, instead of waiting out a backward step (which froze
// sampling for as long as the step) or stamping samples with a time that never came.
import { Clock, systemClock } from "../system/clock";

export interface ClockJump {
    /** Wall clock minus where it should be by monotonic time: negative for a step back. */
    jumpMs: number;
}

export class SampleScheduler {
    private timer: unknown = undefined;
    private expected: { wall: number; mono: number } | null = null;
    private stopped = false;

    /**
     * @param intervalMs sample interval
     * @param onTick called with the sample's wall-clock time
     * @param onJump called when a clock step was detected (before that tick)
     * @param toleranceMs disagreement between the clocks that counts as a step
     */
    constructor(
        private readonly intervalMs: number,
        private readonly onTick: (at: number) => void,
        private readonly onJump: (j: ClockJump) => void = () => undefined,
        private readonly clock: Clock = systemClock,
        private readonly toleranceMs = Math.min(1000, intervalMs / 2),
    ) {}

    /** First tick now, then at the next multiples of the interval. */
    start(): void {
        this.stopped = false;
        this.run(this.clock.wall());
    }

    stop(): void {
        this.stopped = true;
        if (this.timer !== undefined) this.clock.clearTimer(this.timer);
        this.timer = undefined;
    }

    private run(at: number): void {
        if (this.stopped) return;
        this.onTick(at);
        if (this.stopped) return;
        const next = (Math.floor(at / this.intervalMs) + 1) * this.intervalMs;
        const delay = Math.max(0, next - this.clock.wall());
        this.expected = { wall: next, mono: this.clock.mono() + delay };
        this.timer = this.clock.setTimer(() => this.fire(), delay);
    }

    private fire(): void {
        this.timer = undefined;
        const exp = this.expected;
        const wall = this.clock.wall();
        if (exp === null) return this.run(wall);
        // Where the wall clock should be if nobody stepped it: the intended time plus however
        // late (monotonically) the timer fired.
        const shouldBe = exp.wall + (this.clock.mono() - exp.mono);
        const jump = wall - shouldBe;
        if (Math.abs(jump) > this.toleranceMs) {
            this.onJump({ jumpMs: Math.round(jump) });
            return this.run(wall);
        }
        // A timer may fire a millisecond early: stamp the sample with its intended time then,
        // never the period before.
        this.run(Math.max(wall, exp.wall));
    }
}
