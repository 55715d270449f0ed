// The sample scheduler against a clock the test controls: wall-clock steps (back and forward)
// while the monotonic clock runs on, the way NTP or `date -s` step a real box.
import * as assert from "node:assert/strict";
import { Clock } from "../../agent/src/system/clock";
import { ClockJump, SampleScheduler } from "../../agent/src/daemon/scheduler";

/** Monotonic time advanced by the test; wall = monotonic + an offset the test can step. */
class TestClock implements Clock {
    private monoNow = 0;
    offset = 1_800_000_000_300; // wall starts 300 ms after a 10 s boundary
    private timers: Array<{ due: number; fn: () => void; id: number }> = [];
    private ids = 0;
    wall(): number {
        return this.monoNow + this.offset;
    }
    mono(): number {
        return this.monoNow;
    }
    setTimer(fn: () => void, ms: number): unknown {
        const id = ++this.ids;
        this.timers.push({ due: this.monoNow + ms, fn, id });
        return id;
    }
    clearTimer(handle: unknown): void {
        this.timers = this.timers.filter((t) => t.id !== handle);
    }
    /** Runs time forward, firing timers in order, like the event loop. */
    advance(ms: number): void {
        const end = this.monoNow + ms;
        for (;;) {
            this.timers.sort((a, b) => a.due - b.due);
            const t = this.timers[0];
            if (!t || t.due > end) break;
            this.timers.shift();
            this.monoNow = Math.max(this.monoNow, t.due);
            t.fn();
        }
        this.monoNow = end;
    }
}

describe("sample scheduler (monotonic timing, wall-clock alignment)", () => {
    const P = 10000;
    function setup(): { clock: TestClock; ticks: number[]; jumps: ClockJump[]; s: SampleScheduler } {
        const clock = new TestClock();
        const ticks: number[] = [];
        const jumps: ClockJump[] = [];
        const s = new SampleScheduler(
            P,
            (at) => ticks.push(at),
            (j) => jumps.push(j),
            clock,
        );
        return { clock, ticks, jumps, s };
    }

    it("samples now, then at wall-clock multiples of the interval", () => {
        const { clock, ticks, jumps, s } = setup();
        const t0 = clock.wall();
        s.start();
        clock.advance(35000);
        assert.deepEqual(ticks, [t0, t0 - 300 + P, t0 - 300 + 2 * P, t0 - 300 + 3 * P]);
        assert.deepEqual(jumps, []);
        s.stop();
        clock.advance(60000);
        assert.equal(ticks.length, 4, "stopped");
    });

    it("keeps sampling every interval when the wall clock is stepped back an hour, re-aligned to the new time", () => {
        const { clock, ticks, jumps, s } = setup();
        s.start();
        clock.advance(25000);
        const before = ticks.length;
        clock.offset -= 3600_000; // the step back
        clock.advance(3 * P);
        const after = ticks.slice(before);
        assert.equal(after.length, 3, `sampling goes on (ticks after the step: ${after.length})`);
        assert.equal(jumps.length, 1);
        assert.ok(jumps[0].jumpMs <= -3599_000 && jumps[0].jumpMs >= -3601_000, String(jumps[0].jumpMs));
        assert.ok(
            after.every((t) => Math.abs(t - clock.wall()) <= 3 * P),
            "stamped with the new wall clock",
        );
        assert.equal(after[1] % P, 0, "aligned to the interval again");
        assert.equal(after[2] - after[1], P);
    });

    it("re-aligns at once after a step forward instead of stamping a time that never came", () => {
        const { clock, ticks, jumps, s } = setup();
        s.start();
        clock.advance(15000);
        clock.offset += 7200_000;
        clock.advance(P);
        assert.equal(jumps.length, 1);
        assert.ok(jumps[0].jumpMs > 7199_000);
        const last = ticks[ticks.length - 1];
        assert.ok(Math.abs(last - clock.wall()) < P, "the tick after the step carries the new time");
        clock.advance(2 * P);
        assert.equal(ticks[ticks.length - 1] - ticks[ticks.length - 2], P);
    });

    it("a timer that fires a little early or late is not a clock step", () => {
        const { clock, ticks, jumps, s } = setup();
        s.start();
        clock.advance(P + 200); // late by 200 ms (event loop busy): sample stamped with the real time
        clock.advance(3 * P);
        assert.deepEqual(jumps, []);
        assert.equal(ticks.length, 5);
    });
});
