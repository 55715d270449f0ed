// The backlog of finished datapoints: kept in memory and in the spool file until CloudWatch has
// them. Delivered in batches, oldest first; points older than CloudWatch accepts are dropped
// (and logged); points CloudWatch rejects as invalid are isolated by halving the batch and
// dropped one by one (logged) so one bad point cannot block the rest.
import { classifyError, ErrorInfo, MetricSink } from "./metric-sink";
import { Datapoint } from "./datapoint";
import { errorMessage } from "../../../common/errors";
import { log } from "../system/log";
import { Spool } from "./spool";
import { systemClock } from "../system/clock";

/** PutMetricData accepts timestamps up to two weeks old; keep a margin. */
export const MAX_AGE_MS = 14 * 24 * 3600 * 1000 - 10 * 60 * 1000;
const BATCH_SIZE = 500;

export class PublishError extends Error {
    constructor(readonly info: ErrorInfo) {
        super(`${info.code}${info.status ? ` (HTTP ${info.status})` : ""}: ${info.message}`);
    }
}

export class Outbox {
    private items: Datapoint[];
    private batchSize = BATCH_SIZE;
    lastPublishAt: number | null = null;
    lastError: string | null = null;

    /** False while the spool cannot be written (full disk, read-only, quota): memory only. */
    private spoolOk = true;

    constructor(
        private readonly spool: Spool,
        private readonly now: () => number = systemClock.wall,
    ) {
        this.items = spool.load();
        try {
            if (spool.repair(this.items))
                log("warn", "spool_repaired", { reason: "last line torn (crash while writing)", datapoints: this.items.length });
        } catch (e) {
            this.spoolFailed(e);
        }
    }

    /**
     * A spool write failed. Publishing goes on from memory (a full disk, which any user can cause,
     * must not silence the agent); logged once until a write succeeds again.
     */
    private spoolFailed(e: unknown): void {
        if (this.spoolOk)
            log("warn", "spool_write_failed", {
                path: this.spool.path,
                error: errorMessage(e),
                effect: "backlog kept in memory only until the spool can be written again",
            });
        this.spoolOk = false;
    }

    /** Writes the spool; after a failure the next write is a full rewrite so the file catches up. */
    private writeSpool(write: () => void): void {
        try {
            if (this.spoolOk) write();
            else this.spool.rewrite(this.items);
        } catch (e) {
            this.spoolFailed(e);
            return;
        }
        // Only a write that stored data proves there is room again (removing the file always works).
        if (!this.spoolOk && this.items.length > 0) {
            this.spoolOk = true;
            log("info", "spool_write_recovered", { path: this.spool.path, datapoints: this.items.length });
        }
    }

    get size(): number {
        return this.items.length;
    }

    get oldest(): number | null {
        return this.items.length ? Math.min(...this.items.map((p) => p.t)) : null;
    }

    push(p: Datapoint): void {
        this.items.push(p);
        this.writeSpool(() => this.spool.append([p]));
    }

    private persist(): void {
        this.writeSpool(() => this.spool.rewrite(this.items));
    }

    dropExpired(): number {
        const limit = this.now() - MAX_AGE_MS;
        const old = this.items.filter((p) => p.t < limit);
        if (old.length === 0) return 0;
        this.items = this.items.filter((p) => p.t >= limit);
        this.persist();
        log("warn", "dropped_expired", {
            datapoints: old.length,
            oldest: new Date(Math.min(...old.map((p) => p.t))).toISOString(),
            newest: new Date(Math.max(...old.map((p) => p.t))).toISOString(),
            reason: "older than CloudWatch accepts (2 weeks)",
        });
        return old.length;
    }

    /**
     * Deliver everything. Resolves when the backlog is empty; throws PublishError (backlog kept)
     * on the first error worth retrying later.
     */
    async flush(sink: MetricSink): Promise<number> {
        this.dropExpired();
        let sent = 0;
        while (this.items.length > 0) {
            const ns = this.items[0].ns;
            const batch = this.items.filter((p) => p.ns === ns).slice(0, this.batchSize);
            try {
                await sink.putMetricData(ns, batch);
            } catch (e) {
                const info = classifyError(e);
                this.lastError = `${info.code}: ${info.message}`;
                if (info.rejected && batch.length > 1) {
                    this.batchSize = Math.max(1, Math.floor(batch.length / 2));
                    log("warn", "batch_rejected", { datapoints: batch.length, code: info.code, next_batch: this.batchSize, message: info.message });
                    continue;
                }
                if (info.rejected) {
                    this.remove(batch);
                    log("error", "dropped_rejected", {
                        datapoints: 1,
                        timestamp: new Date(batch[0].t).toISOString(),
                        code: info.code,
                        message: info.message,
                    });
                    continue;
                }
                throw new PublishError(info);
            }
            this.remove(batch);
            sent += batch.length;
            this.lastPublishAt = this.now();
            this.lastError = null;
            log("info", "published", {
                datapoints: batch.length,
                from: new Date(batch[0].t).toISOString(),
                to: new Date(batch[batch.length - 1].t).toISOString(),
                max: Math.max(...batch.map((p) => p.max)),
                backlog: this.items.length,
            });
        }
        this.batchSize = BATCH_SIZE;
        return sent;
    }

    private remove(batch: Datapoint[]): void {
        const gone = new Set(batch);
        this.items = this.items.filter((p) => !gone.has(p));
        this.persist();
    }
}
