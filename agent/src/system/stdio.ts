// `idle-stop status | head`: the reader may close the pipe before the output is written. Like
// any Unix filter, leave quietly then (no EPIPE stack trace, exit 0); other output errors are
// ignored for stderr (the log has nowhere else to go) and reported for stdout.
import { errnoCode } from "../../../common/errors";

export function quietOnClosedPipes(): void {
    process.stdout.on("error", (e: unknown) => {
        if (errnoCode(e) === "EPIPE") process.exit(0);
        process.stderr.write(`idle-stop-agent: cannot write output: ${String(e)}\n`);
        process.exit(1);
    });
    process.stderr.on("error", () => undefined);
}
