// Signal: an NVIDIA GPU at or above busyGpuPercent utilization counts as one active session (all
// GPUs together add 1), for sessionIdleSeconds after it was last seen busy (signal.ts BusyWindow).
// Read with one `nvidia-smi --query-gpu=index,utilization.gpu --format=csv,noheader,nounits` per
// publish period at most, asynchronously (a sample never waits for it: a reading counts from the
// sample after it arrives), and only when nvidia-smi is on PATH. No nvidia-smi, or one that never
// worked: no signal, logged once, never an error. One that worked and now fails or times out: the
// GPUs busy at its last good reading keep counting until a reading succeeds (what cannot be
// measured counts as in use). utilization.gpu is nvidia-smi's own recent sample, taken once per
// publish period, not an average over it. Semantics and the default: docs/reference/metric.md.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { formatDuration } from "../system/duration";
import { log } from "../system/log";
import { BusySeen, BusyWindow, KeptUpShare, Reading, share, Signal, SignalInput } from "./signal";

const NVIDIA_SMI_ARGS = ["--query-gpu=index,utilization.gpu", "--format=csv,noheader,nounits"] as const;
const TIMEOUT_MS = 10_000;
/** A box without nvidia-smi is looked at again this often (a driver installed later). */
const LOOKUP_AGAIN_MS = 3600_000;

export interface GpuReading {
    index: string;
    percent: number;
}

export interface GpuUse {
    /** GPUs that count now (busy in the last reading, or within the window). */
    busy: Array<GpuReading & { lastBusyAgoSeconds: number }>;
    /** The last reading of every GPU; null: off, no nvidia-smi, it failed, or not read yet. */
    gpus: GpuReading[] | null;
    /** Since when nvidia-smi fails after having worked (the last busy GPUs then keep counting); absent when it works. */
    failingSince?: string;
}

export interface GpuBusyOptions {
    /** The daemon measures; `status` shows the daemon's view instead. */
    measure: boolean;
    periodMs: number;
    windowMs: number;
    /** A restarted daemon's last-busy times from its status file (daemon/activity.ts). */
    seed?: ReadonlyArray<BusySeen<GpuReading>>;
    /** PATH to look nvidia-smi up in (default: the agent's own). */
    path?: string;
}

/** Parses nvidia-smi's CSV ("0, 87"); "[N/A]" and other non-numbers are left out. */
export function parseGpuCsv(out: string): GpuReading[] {
    const gpus: GpuReading[] = [];
    for (const line of out.split("\n")) {
        const [index, util] = line.split(",").map((s) => s.trim());
        if (!index || util === undefined || !/^\d+(?:\.\d+)?$/.test(util) || !/^\d+$/.test(index)) continue;
        gpus.push({ index, percent: Number(util) });
    }
    return gpus;
}

/** The first executable nvidia-smi on PATH, or null. */
function findOnPath(name: string, path: string): string | null {
    for (const dir of path.split(":")) {
        if (!dir.startsWith("/")) continue; // relative PATH entries would depend on the cwd
        const file = `${dir}/${name}`;
        try {
            accessSync(file, constants.X_OK);
            return file;
        } catch {
            /* not here */
        }
    }
    return null;
}

export class GpuBusy implements Signal<GpuUse> {
    readonly name = "gpu";
    private readonly window: BusyWindow<GpuReading>;
    private smi: { file: string | null; at: number } | null = null;
    private lastRunAt: number | null = null;
    private running = false;
    private last: GpuReading[] | null = null;
    private lastError: string | null = null;
    /** The GPUs busy at the last good reading; null until nvidia-smi has worked once. */
    private lastBusySet: Map<string, GpuReading> | null = null;
    private failingSince: number | null = null;

    /** busyGpuPercent 0: off (nvidia-smi is never looked up). */
    constructor(
        private readonly busyGpuPercent: number,
        private readonly o: GpuBusyOptions,
    ) {
        this.window = new BusyWindow(o.windowMs);
        this.window.seed(o.seed ?? []);
    }

    sample({ now }: SignalInput): Reading<GpuUse> {
        if (this.busyGpuPercent <= 0 || !this.o.measure) return { active: 0, detail: { busy: [], gpus: null } };
        if (!this.running && (this.lastRunAt === null || now - this.lastRunAt >= this.o.periodMs || now < this.lastRunAt)) this.query(now);
        const busy = this.window.counting(now).map(({ value, agoMs }) => ({ ...value, lastBusyAgoSeconds: Math.round(agoMs / 1000) }));
        const failing = this.failingSince === null ? {} : { failingSince: new Date(this.failingSince).toISOString() };
        return { active: busy.length > 0 ? 1 : 0, detail: { busy, gpus: this.last, ...failing } };
    }

    /** The last-busy times still inside the window, for the status file (a restart keeps counting them). */
    lastBusy(now: number): Array<BusySeen<GpuReading>> {
        return this.window.seen(now);
    }

    keptUp(r: Reading<GpuUse>): KeptUpShare[] {
        return share(
            "gpu",
            r.active,
            r.detail.busy.map((g) =>
                r.detail.failingSince !== undefined
                    ? `GPU ${g.index} ${Math.round(g.percent)}% at the last good reading, nvidia-smi failing since ${r.detail.failingSince}`
                    : `GPU ${g.index} ${Math.round(g.percent)}%${g.lastBusyAgoSeconds > 0 ? `, last busy ${formatDuration(g.lastBusyAgoSeconds * 1000)} ago` : ""}`,
            ),
        );
    }

    private nvidiaSmi(now: number): string | null {
        if (this.smi === null || (this.smi.file === null && (now - this.smi.at >= LOOKUP_AGAIN_MS || now < this.smi.at))) {
            this.smi = { file: findOnPath("nvidia-smi", this.o.path ?? process.env.PATH ?? "/usr/bin:/bin"), at: now };
        }
        return this.smi.file;
    }

    /** Starts one nvidia-smi; its result counts from the next sample on. */
    private query(now: number): void {
        this.lastRunAt = now;
        const file = this.nvidiaSmi(now);
        if (file === null) return;
        this.running = true;
        execFile(
            file,
            [...NVIDIA_SMI_ARGS],
            { timeout: TIMEOUT_MS, maxBuffer: 64 * 1024, env: { PATH: this.o.path ?? process.env.PATH ?? "/usr/bin:/bin", LANG: "C" } },
            (err, stdout) => {
                this.running = false;
                if (err) return this.failed(now, err.message);
                const gpus = parseGpuCsv(stdout);
                if (gpus.length === 0) return this.failed(now, `no GPU in its output: ${JSON.stringify(stdout.slice(0, 100))}`);
                this.last = gpus;
                if (this.lastError !== null) log("info", "gpu_readable", { gpus: gpus.length });
                this.lastError = null;
                this.failingSince = null;
                this.lastBusySet = new Map(gpus.filter((g) => g.percent >= this.busyGpuPercent).map((g) => [g.index, g]));
                this.window.measured(now, this.lastBusySet);
            },
        );
    }

    private failed(now: number, error: string): void {
        // Once per distinct failure: a box whose driver is broken would otherwise log every minute.
        const msg = error.split("\n")[0].slice(0, 200);
        const worked = this.lastBusySet !== null;
        if (msg !== this.lastError)
            log("warn", "gpu_unreadable", {
                error: msg,
                effect: worked && (this.lastBusySet?.size ?? 0) > 0 ? "the last busy GPUs keep counting" : "no GPU signal",
            });
        this.lastError = msg;
        this.last = null;
        if (!worked) return this.window.measured(now, new Map());
        // It worked before: cannot be measured now counts as in use, with the last busy set.
        this.failingSince ??= now;
        this.window.measured(now, this.lastBusySet ?? new Map());
    }
}
