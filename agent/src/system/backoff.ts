/** Exponential backoff with "equal jitter": delay in [d/2, d], d = min(cap, base * 2^attempt). */
export class Backoff {
    private attempt = 0;

    constructor(
        private readonly baseMs: number,
        private readonly capMs: number,
        private readonly random: () => number = Math.random,
    ) {}

    next(): number {
        const d = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
        this.attempt++;
        return Math.round(d / 2 + (this.random() * d) / 2);
    }

    reset(): void {
        this.attempt = 0;
    }

    get failures(): number {
        return this.attempt;
    }
}
