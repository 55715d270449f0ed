// Signal: SSH sessions with terminals, in use while one of their terminals had input within
// sessionIdleSeconds (terminal access time, tty.ts; output never counts). Traffic on such a
// connection is not use: typing shows up as input anyway.
import { inUseCount, judgeSession, SessionUse } from "./session-use";
import { Signal, SignalInput } from "./signal";
import { latestInputAt } from "./tty";

export class TerminalInput implements Signal<SessionUse[]> {
    readonly name = "terminal-input";

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
                const input = latestInputAt(this.devRoot, x.ttys);
                return judgeSession(x, Math.max(input ?? login, login), limitMs > 0 ? "terminal" : "connected", now, limitMs);
            });
        return { active: inUseCount(judged), detail: judged };
    }
}
