// The signals of use judged together: SSH sessions by terminal input or client traffic, other
// terminals as one, busy processes as one, a busy GPU as one, non-SSH transfers as one, and the optional CPU rule; how many
// active sessions that makes (holds come on top, sample.ts) and why (keptUp). The daemon keeps one
// tracker for its lifetime (traffic history, CPU times); `status` makes a fresh one, which measures
// nothing over time and shows the daemon's view of those signals instead (cli/status-report.ts).
// Counting rules: docs/reference/metric.md.
import { BusyProcess, BusyProcesses, ProcessUse } from "./busy-processes";
import { ClientTraffic, ClientTrafficOptions } from "./client-traffic";
import { CpuBusy } from "./cpu-busy";
import { GpuBusy, GpuReading, GpuUse } from "./gpu-busy";
import { OtherTerminals, OtherTerminalsUse } from "./other-terminals";
import { ActivitySettings, SessionUse, sessionKey, sessionShares } from "./session-use";
import { Session } from "./sessions";
import { BusySeen, explained, judge, KeptUpShare, Reading, share, Signal, SignalInput } from "./signal";
import { NetTransfer, TransferSeen, TransferUse } from "./net-transfer";
import { SocketSnapshots, TrafficSnapshot } from "./tcp-traffic";
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
    processes: ProcessUse;
    gpu: GpuUse;
    transfer: TransferUse;
    /** sessions in use + 1 for each other kind in use (other terminals, busy processes, GPU, CPU). Holds come on top. */
    active: number;
    /** Why, one share per kind (signal.ts). */
    keptUp: KeptUpShare[];
}

/** What the windows of the measured signals hold: enough for a restarted daemon to keep counting. */
export interface BusySeed {
    process?: ReadonlyArray<BusySeen<BusyProcess>>;
    gpu?: ReadonlyArray<BusySeen<GpuReading>>;
    cpu?: ReadonlyArray<BusySeen<number>>;
    transfer?: TransferSeen | null;
}

/**
 * The signals of use, built from the agent's settings: a new signal of use is one more entry
 * here, a class implementing Signal<D> with a keptUp method, e.g.
 *     gpu: new GpuBusy(s.busyGpuPercent, { ...timed, seed: seed.gpu }),
 * (its KeptUpBy datapoints, its `status` line and its share of the metric then follow). Older
 * signals without a keptUp method get theirs through explained().
 */
function useSignals(s: ActivitySettings, opts: ClientTrafficOptions, overTime: boolean, seed: BusySeed) {
    const timed = { measure: overTime, periodMs: s.publishSeconds * 1000, windowMs: s.sessionIdleSeconds * 1000 };
    // One `ss` run per publish period, shared by the SSH traffic rule and the transfers signal.
    const sockets = opts.sockets ?? new SocketSnapshots(s.sshPorts, s.publishSeconds * 1000, opts.snapshot);
    return {
        terminals: explained(new TerminalInput(s.devRoot, s.sessionIdleSeconds), (r) => sessionShares(r.detail)),
        traffic: explained(new ClientTraffic(s, { ...opts, sockets }), (r) => sessionShares(r.detail)),
        transfer: explained(new NetTransfer(s, { measure: overTime, sockets, seed: seed.transfer }), transferShares),
        otherTerminals: explained(new OtherTerminals(s.devRoot, s.sessionIdleSeconds), otherTerminalShares),
        processes: new BusyProcesses(s.procRoot, s.busyProcessPercent, {
            ...timed,
            ownPid: process.pid,
            ownUid: process.getuid?.(),
            seed: seed.process,
        }),
        gpu: new GpuBusy(s.busyGpuPercent, { ...timed, seed: seed.gpu }),
        cpu: new CpuBusy(s.procRoot, s.busyCpuPercent, timed.windowMs, seed.cpu),
    };
}

function transferShares(r: Reading<TransferUse>): KeptUpShare[] {
    return share(
        "transfer",
        r.active,
        NetTransfer.keptUp(r.detail).map((k) => k.detail),
    );
}

function otherTerminalShares(r: Reading<OtherTerminalsUse>): KeptUpShare[] {
    const terminals = r.detail.ttys.map((tty, i) => `${tty} (${r.detail.owners[i] ?? "?"})`);
    return share("other-terminal", r.active, [`${terminals.join(", ")}, not opened by sshd: input within the window`]);
}

export class ActivityTracker implements Signal<Use> {
    readonly name = "use";
    private readonly signals: ReturnType<typeof useSignals>;

    /**
     * measureTraffic: the daemon measures; `status` (any user, a fresh process) does not and
     * relies on `seed`, the daemon's last credits from its status file.
     */
    /**
     * overTime: busy processes and the GPU are measured (the daemon; not `once`, which samples once, nor `status`).
     * busySeed: a restarted daemon's last-busy times (its status file), counted until their windows end.
     */
    constructor(s: ActivitySettings, opts: ClientTrafficOptions, overTime = opts.measureTraffic, busySeed: BusySeed = {}) {
        this.signals = useSignals(s, opts, overTime, busySeed);
    }

    /** The last-busy times the windows still count at `now` (for the status file). */
    lastBusy(now: number): BusySeed {
        return {
            process: this.signals.processes.lastBusy(now),
            gpu: this.signals.gpu.lastBusy(now),
            cpu: this.signals.cpu.lastBusy(now),
            transfer: this.signals.transfer.lastSeen(),
        };
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

    keptUp(r: Reading<Use>): KeptUpShare[] {
        return r.detail.keptUp;
    }

    assess(sessions: readonly Session[], now: number): Use {
        const { active, readings, keptUp } = judge(this.signals, { now, sessions });
        const judged = new Map([...readings.terminals.detail, ...readings.traffic.detail].map((u) => [sessionKey(u), u]));
        return {
            at: now,
            connected: sessions.length,
            sessions: sessions.flatMap((x) => judged.get(sessionKey(x)) ?? []),
            sessionsInUse: readings.terminals.active + readings.traffic.active,
            otherTerminals: readings.otherTerminals.detail,
            cpuPercent: readings.cpu.detail.cpuPercent,
            cpuBusy: readings.cpu.detail.cpuBusy,
            processes: readings.processes.detail,
            gpu: readings.gpu.detail,
            transfer: readings.transfer.detail,
            active,
            keptUp,
        };
    }
}
