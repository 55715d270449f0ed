// Signal: SSH sessions with terminals, in use while one of their terminals had input within
// sessionIdleSeconds (terminal access time, tty.ts; output never counts). Traffic on such a
// connection is not use: typing shows up as input anyway. An access time from the future counts
// from when it was first seen (tty.ts).
import { inUseCount, judgeSession, SessionUse } from "./session-use";
import { Signal, SignalInput } from "./signal";
import { FutureInput, latestInputAt } from "./tty";

export class TerminalInput implements Signal<SessionUse[]> {
    readonly name = "terminal-input";
    /** Future access times first seen, across samples (tty.ts). */
    private readonly future = new FutureInput();

    constructor(
        private readonly devRoot: string,
        private readonly sessionIdleSeconds: number,
    ) {}

    sample({ now, sessions }: SignalInput): { active: number; detail: SessionUse[] } {
        const limitMs = this.sessionIdleSeconds * 1000;
        const judged = sessions
            .filter((x) => x.ttys.length > 0)
            .map((x) => {
                const login = Date.parse(x.since);
                const input = latestInputAt(this.devRoot, x.ttys, this.future, now);
                return judgeSession(x, Math.max(input ?? login, login), limitMs > 0 ? "terminal" : "connected", now, limitMs);
            });
        this.future.endSample();
        return { active: inUseCount(judged), detail: judged };
    }
}
