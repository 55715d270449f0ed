// The signals of use judged together: SSH sessions by terminal input or client traffic, other
// terminals as one, and the optional CPU rule; how many active sessions that makes (holds come on
// top, sample.ts). The daemon keeps one tracker for its lifetime (traffic history, CPU times);
// `status` makes a fresh one. Counting rules: docs/reference/metric.md.
import { ClientTraffic, ClientTrafficOptions } from "./client-traffic";
import { CpuBusy } from "./cpu-busy";
import { OtherTerminals, OtherTerminalsUse } from "./other-terminals";
import { ActivitySettings, SessionUse, sessionKey } from "./session-use";
import { Session } from "./sessions";
import { judge, Signal, SignalInput } from "./signal";
import { SocketSnapshots, TrafficSnapshot } from "./tcp-traffic";
import { NetTransfer } from "./net-transfer";
import { TerminalInput } from "./terminal-input";

export interface Use {
    at: number;
    /** Authenticated SSH sessions, in use or not (ConnectedSessions). */
    connected: number;
    sessions: SessionUse[];
    sessionsInUse: number;
    otherTerminals: OtherTerminalsUse;
    cpuPercent: number | null;
    cpuBusy: boolean;
    /** sessions in use + (1 if any other terminal is in use) + (1 if CPU busy). Holds come on top. */
    active: number;
}

/** The signals of use, built from the agent's settings: a new signal of use is one more entry. */
function useSignals(s: ActivitySettings, opts: ClientTrafficOptions) {
    const sockets = opts.sockets ?? new SocketSnapshots(s.sshPorts, s.publishSeconds * 1000, opts.snapshot);
    return {
        terminals: new TerminalInput(s.devRoot, s.sessionIdleSeconds),
        traffic: new ClientTraffic(s, { ...opts, sockets }),
        transfer: new NetTransfer(s, { measure: opts.measureTraffic, sockets }),
        otherTerminals: new OtherTerminals(s.devRoot, s.sessionIdleSeconds),
        cpu: new CpuBusy(s.procRoot, s.busyCpuPercent),
    };
}

export class ActivityTracker implements Signal<Use> {
    readonly name = "use";
    private readonly signals: ReturnType<typeof useSignals>;

    /**
     * measureTraffic: the daemon measures; `status` (any user, a fresh process) does not and
     * relies on `seed`, the daemon's last credits from its status file.
     */
    constructor(s: ActivitySettings, opts: ClientTrafficOptions) {
        this.signals = useSignals(s, opts);
    }

    /** null: traffic not measured yet; false: `ss` failed (no-terminal sessions then count while connected). */
    get trafficOk(): boolean | null {
        return this.signals.traffic.trafficOk;
    }

    /** Last traffic credit of every no-terminal session (for the status file). */
    credits(): Map<string, number> {
        return this.signals.traffic.credits();
    }

    /** Credits no-terminal sessions with the traffic between the kept snapshots and this one. */
    credit(cur: TrafficSnapshot): void {
        this.signals.traffic.credit(cur);
    }

    sample(input: SignalInput): { active: number; detail: Use } {
        const use = this.assess(input.sessions, input.now);
        return { active: use.active, detail: use };
    }

    assess(sessions: readonly Session[], now: number): Use {
        const { active, readings } = judge(this.signals, { now, sessions });
        const judged = new Map([...readings.terminals.detail, ...readings.traffic.detail].map((u) => [sessionKey(u), u]));
        return {
            at: now,
            connected: sessions.length,
            sessions: sessions.flatMap((x) => judged.get(sessionKey(x)) ?? []),
            sessionsInUse: readings.terminals.active + readings.traffic.active,
            otherTerminals: readings.otherTerminals.detail,
            cpuPercent: readings.cpu.detail.cpuPercent,
            cpuBusy: readings.cpu.detail.cpuBusy,
            active,
        };
    }
}
