// `once`: sample, publish this period's datapoint plus any backlog, exit (for cron).
import { errorMessage } from "../../../common/errors";
import { PublishConfig } from "../config";
import { PublishError } from "../publish/outbox";
import { log } from "../system/log";
import { AgentState } from "./agent-state";
import { prepareDirs } from "./dirs";
import { Lock } from "./lock";
import { openSink, PublishOptions } from "./options";

/** Resolves with the exit code: 0, or 1 when publishing failed (the backlog stays for next time). */
export async function runOnce(c: PublishConfig, o: PublishOptions): Promise<number> {
    prepareDirs(c);
    const lock = Lock.acquire(c.stateDir);
    const sink = await openSink(c, o);
    try {
        const agent = new AgentState(c, "once", o.clock);
        const s = agent.sample();
        agent.closePeriods();
        log("info", "sampled", { sessions: s.sessions.length, holds: s.holds.length, active: s.active });
        let code = 0;
        try {
            await agent.outbox.flush(sink);
            agent.delivered();
        } catch (e) {
            const msg = e instanceof PublishError ? e.message : errorMessage(e);
            agent.outbox.lastError = msg;
            log("error", "publish_failed", { error: msg, backlog: agent.outbox.size });
            code = 1;
        }
        agent.writeStatus(true);
        return code;
    } finally {
        sink.close();
        lock.release();
    }
}
