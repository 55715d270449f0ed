/**
 * Progress on stderr, never stdout (stdout is the SSH stream when running as ProxyCommand).
 * On a terminal one line counts up the seconds ("devbox is stopped; starting it ... 23 s");
 * elsewhere (logs, tests) each phase is one line, and the last one says how long it all took.
 */
/** Whether a live (TTY) progress line is open, so an error message can start on a line of its own. */
let openLine: Progress | undefined;

export function endProgressLine(): void {
    openLine?.interrupt();
}

export class Progress {
    private readonly started = Date.now();
    private current: string | undefined;
    private ticker: NodeJS.Timeout | undefined;

    constructor(
        private readonly out: NodeJS.WriteStream = process.stderr,
        private readonly prefix = "idle-stop: ",
    ) {}

    private get live(): boolean {
        return this.out.isTTY === true;
    }

    private seconds(since: number): number {
        return Math.round((Date.now() - since) / 1000);
    }

    private render(): void {
        if (this.current === undefined) return;
        this.out.write(`\r\x1b[K${this.prefix}${this.current} ... ${this.seconds(this.started)} s`);
    }

    phase(text: string): void {
        this.endLine();
        this.current = text;
        if (this.live) {
            // eslint-disable-next-line @typescript-eslint/no-this-alias -- the one live line, so output elsewhere can end it first
            openLine = this;
            this.render();
            this.ticker = setInterval(() => this.render(), 1000);
            this.ticker.unref();
        } else {
            this.out.write(`${this.prefix}${text} ...\n`);
        }
    }

    /** Ends the progress display with a final line (only if something was shown). */
    done(text: string): void {
        if (this.current === undefined) return;
        this.endLine();
        this.out.write(`${this.prefix}${text} (${this.seconds(this.started)} s)\n`);
        this.current = undefined;
    }

    /** Ends a live line without a final message (an error message follows). */
    interrupt(): void {
        this.endLine();
        this.current = undefined;
    }

    private endLine(): void {
        if (this.ticker) clearInterval(this.ticker);
        this.ticker = undefined;
        if (this.current !== undefined && this.live) this.out.write("\n");
        if (openLine === this) openLine = undefined;
    }
}
