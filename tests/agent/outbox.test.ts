// Unit tests of the publishing pieces: period aggregation, backoff, the spooled backlog.
import * as assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Backoff } from "../../agent/src/system/backoff";
import { MetricSink } from "../../agent/src/publish/metric-sink";
import { Datapoint, PeriodAggregator } from "../../agent/src/publish/datapoint";
import { MAX_AGE_MS, Outbox, PublishError } from "../../agent/src/publish/outbox";
import { Spool } from "../../agent/src/publish/spool";
import { tempDir } from "../support/agent";

const key = { ns: "IdleStop", mn: "ActiveSessions", iid: "i-0123456789abcdef0" };
const dp = (t: number, max = 0): Datapoint => ({ ...key, t, n: 6, sum: max, min: 0, max });

function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; err: string }> {
    const orig = process.stderr.write.bind(process.stderr);
    let err = "";
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
        err += chunk.toString();
        return true;
    };
    return fn().then(
        (value) => {
            process.stderr.write = orig;
            return { value, err };
        },
        (e: unknown) => {
            process.stderr.write = orig;
            throw e;
        },
    );
}

class FakeSink implements MetricSink {
    calls: Datapoint[][] = [];
    constructor(private readonly behave: (points: Datapoint[]) => void = () => undefined) {}
    async putMetricData(_ns: string, points: Datapoint[]): Promise<void> {
        this.calls.push(points);
        this.behave(points);
    }
    close(): void {
        // nothing to close: the sink keeps its calls in memory
    }
}

function awsError(name: string, status: number): Error {
    return Object.assign(new Error(`${name} for a test`), { name, $metadata: { httpStatusCode: status } });
}

describe("aggregation, backoff and the backlog", () => {
    it("aggregates samples into epoch-aligned periods with SampleCount, Sum, Minimum, Maximum", () => {
        const a = new PeriodAggregator(60000, key);
        const base = 1_800_000_000_000 - (1_800_000_000_000 % 60000);
        assert.equal(a.add(0, base + 5000), null);
        assert.equal(a.add(2, base + 15000), null);
        assert.equal(a.add(1, base + 25000), null);
        const done = a.add(0, base + 60000);
        assert.deepEqual(done, { ...key, t: base, n: 3, sum: 3, min: 0, max: 2 });
        assert.equal(a.closeIfOver(base + 119999), null);
        assert.deepEqual(a.closeIfOver(base + 120000), { ...key, t: base + 60000, n: 1, sum: 0, min: 0, max: 0 });
    });

    it("backs off exponentially with jitter, capped, and resets", () => {
        const lo = new Backoff(1000, 8000, () => 0);
        assert.deepEqual([lo.next(), lo.next(), lo.next(), lo.next(), lo.next()], [500, 1000, 2000, 4000, 4000]);
        const hi = new Backoff(1000, 8000, () => 1);
        assert.deepEqual([hi.next(), hi.next(), hi.next(), hi.next(), hi.next()], [1000, 2000, 4000, 8000, 8000]);
        hi.reset();
        assert.equal(hi.next(), 1000);
    });

    it("keeps everything (memory and spool) on retryable errors; a new Outbox picks the spool up", async () => {
        const dir = tempDir();
        const spool = new Spool(join(dir, "spool.jsonl"));
        const now = Date.now();
        const box = new Outbox(spool);
        for (let i = 0; i < 5; i++) box.push(dp(now - (5 - i) * 60000, i));
        const down = new FakeSink(() => {
            throw awsError("ThrottlingException", 400);
        });
        await assert.rejects(box.flush(down), (e: unknown) => e instanceof PublishError && e.info.throttled);
        assert.equal(box.size, 5);
        appendFileSync(spool.path, '{"torn":'); // a crash mid-append
        const again = new Outbox(spool);
        assert.equal(again.size, 5);
        const up = new FakeSink();
        const { value } = await captureStderr(() => again.flush(up));
        assert.equal(value, 5);
        assert.equal(up.calls.length, 1, "one batch");
        assert.deepEqual(
            up.calls[0].map((p) => p.max),
            [0, 1, 2, 3, 4],
        );
        assert.equal(new Outbox(spool).size, 0);
    });

    it("repairs a torn last line on load, so the next datapoint is not glued to the fragment and lost", async () => {
        const dir = tempDir();
        const spool = new Spool(join(dir, "spool.jsonl"));
        const now = Date.now();
        spool.append([dp(now - 120000, 1), dp(now - 60000, 2)]);
        appendFileSync(spool.path, JSON.stringify(dp(now - 30000, 3)).slice(0, 25)); // a crash mid-append
        const { value: box, err } = await captureStderr(async () => new Outbox(spool));
        assert.equal(box.size, 2);
        assert.match(err, /event=spool_repaired /);
        box.push(dp(now, 4));
        assert.deepEqual(
            new Spool(spool.path).load().map((p) => p.max),
            [1, 2, 4],
            "the new datapoint survives a reload",
        );
        assert.ok(readFileSync(spool.path, "utf8").endsWith("\n"));

        // A complete last datapoint that only lacks its newline is kept.
        writeFileSync(spool.path, `${JSON.stringify(dp(now - 60000, 5))}\n${JSON.stringify(dp(now, 6))}`);
        const again = await captureStderr(async () => new Outbox(new Spool(spool.path)));
        again.value.push(dp(now + 60000, 7));
        assert.deepEqual(
            new Spool(spool.path).load().map((p) => p.max),
            [5, 6, 7],
        );
    });

    it("keeps publishing from memory when the spool cannot be written, logs that once, and catches the spool up later", async () => {
        const dir = tempDir();
        const path = join(dir, "spool.jsonl");
        const box = new Outbox(new Spool(path));
        mkdirSync(path); // a directory where the file belongs: appends and rewrites fail
        const now = Date.now();
        const sink = new FakeSink();
        const { err } = await captureStderr(async () => {
            for (let i = 0; i < 4; i++) box.push(dp(now - (4 - i) * 60000, i));
            return 0;
        });
        assert.equal(box.size, 4, "kept in memory");
        assert.equal(err.match(/event=spool_write_failed/g)?.length, 1, err);
        assert.match(err, /EISDIR/);
        assert.doesNotMatch(err, /recovered/);
        rmdirSync(path); // writable again: the next write brings the whole backlog to disk
        const back = await captureStderr(async () => {
            box.push(dp(now + 60000, 4));
            return 0;
        });
        assert.match(back.err, /event=spool_write_recovered .*datapoints=5/);
        assert.deepEqual(readdirSync(dir), ["spool.jsonl"], "no temp files left behind");
        assert.equal(new Spool(path).load().length, 5);
        await captureStderr(() => box.flush(sink));
        assert.deepEqual(
            sink.calls.flat().map((p) => p.max),
            [0, 1, 2, 3, 4],
        );
    });

    it("drops only datapoints older than CloudWatch accepts, and logs it", async () => {
        const dir = tempDir();
        const now = Date.now();
        const box = new Outbox(new Spool(join(dir, "s.jsonl")));
        box.push(dp(now - MAX_AGE_MS - 3600000));
        box.push(dp(now - MAX_AGE_MS - 60000));
        box.push(dp(now - MAX_AGE_MS + 3600000));
        box.push(dp(now - 60000));
        const sink = new FakeSink();
        const { err } = await captureStderr(() => box.flush(sink));
        assert.deepEqual(
            sink.calls.flat().map((p) => p.t),
            [now - MAX_AGE_MS + 3600000, now - 60000],
        );
        assert.match(err, /level=warn event=dropped_expired datapoints=2 /);
    });

    it("delivers a big backlog in batches and isolates a datapoint CloudWatch rejects", async () => {
        const dir = tempDir();
        const box = new Outbox(new Spool(join(dir, "s.jsonl")));
        const now = Date.now();
        const n = 1200;
        for (let i = 0; i < n; i++) box.push(dp(now - (n - i) * 60000, i % 3));
        const bad = now - 7 * 60000;
        const sink = new FakeSink((points) => {
            if (points.some((p) => p.t === bad)) throw awsError("InvalidParameterValue", 400);
        });
        const { value, err } = await captureStderr(() => box.flush(sink));
        assert.equal(value, n - 1);
        assert.equal(box.size, 0);
        const delivered = sink.calls.filter((c) => !c.some((p) => p.t === bad)).flat();
        assert.equal(delivered.length, n - 1);
        assert.equal(new Set(delivered.map((p) => p.t)).size, n - 1, "each delivered once");
        assert.ok(sink.calls.every((c) => c.length <= 500));
        assert.match(err, /event=dropped_rejected datapoints=1 .*code=InvalidParameterValue/);
        assert.equal(existsSync(join(dir, "s.jsonl")), false, "spool emptied");
    });
});
