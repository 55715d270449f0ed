/**
 * Hours running, hours stopped, stops and dollars saved per box over a window, from CloudWatch's
 * memory of the agent's samples and the idle alarm's actions and EC2's instance types; what is
 * counted and why: docs/reference/laptop.md#savings.
 */
import { programAgentDefaults } from "../../../common/agent-config";
import type { WatchedBox } from "../stack-outputs";
import { describeInstancesLenient } from "./instances";
import { lookUpPrices, priceKey } from "./prices";
import { hourlySamples, hourMs, idleStopTimes } from "./usage-history";

/** CloudWatch keeps an alarm's history this long, so stops are counted over this much of the window at most. */
const ALARM_HISTORY_DAYS = 30;
const dayMs = 24 * hourMs;

interface BoxSavings {
    readonly name: string;
    readonly stack?: string;
    readonly instanceId: string;
    readonly region: string;
    /** From EC2; null when EC2 no longer knows the instance. */
    readonly instanceType: string | null;
    /** Where this box's count starts: the window's start, or the first hour with the agent's data if later; null: no data in the window. */
    readonly countedFrom: string | null;
    readonly hoursRunning: number;
    readonly hoursStopped: number;
    /** null when not asked for (status). */
    readonly stopsByIdleStop: number | null;
    readonly otherStops: number | null;
    readonly usdPerHour: number | null;
    readonly savedUsd: number | null;
}

export interface SavingsReport {
    readonly days: number;
    readonly from: string;
    readonly to: string;
    /** Where the stop counts start (alarm history is kept 30 days); null when stops were not counted. */
    readonly stopsFrom: string | null;
    /** The boxes' sampleSeconds when they all have the same (10 without boxes), null when they differ. */
    readonly sampleSeconds: number | null;
    readonly boxes: BoxSavings[];
    readonly total: {
        readonly hoursRunning: number;
        readonly hoursStopped: number;
        readonly stopsByIdleStop: number | null;
        readonly otherStops: number | null;
        /** The sum over the boxes that have a price; null when none has. */
        readonly savedUsd: number | null;
    };
    /** `Price List API`, `cache`, `--price`: where the prices came from. */
    readonly priceSource: string[];
    /** One line each: what has no price and why, what was left out. */
    readonly notes: string[];
}

export interface SavingsOptions {
    readonly from: Date;
    readonly to: Date;
    readonly overrides: ReadonlyMap<string, number>;
    /** Read the idle alarms' history to count stops (savings), or not (status). */
    readonly withStops: boolean;
    /** Prices from the cache and --price only (status: no Price List call). */
    readonly cacheOnly?: boolean;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

interface Figures {
    countedFrom: number | null;
    running: number;
    stopped: number;
    stopsByIdleStop: number | null;
    otherStops: number | null;
}

/**
 * One box's hours and stops. A stop is the start of a stretch of whole clock hours without a
 * sample; one begun by an idle-stop action (within an hour of it) is idle-stop's, the others are
 * people's or schedules'. Idle-stop actions the box recovered from within the hour still count.
 */
function boxFigures(
    hours: ReadonlyMap<number, number>,
    stops: readonly number[] | null,
    from: number,
    to: number,
    stopsFrom: number,
    sampleSeconds: number,
): Figures {
    const withData = [...hours.keys()].filter((h) => h >= from && h < to).sort((a, b) => a - b);
    if (withData.length === 0)
        return { countedFrom: null, running: 0, stopped: 0, stopsByIdleStop: stops === null ? null : 0, otherStops: stops === null ? null : 0 };
    const start = withData[0];
    // A sample stands for sampleSeconds of running time; an hour holds at most an hour of it.
    const runningMs = withData.reduce((sum, h) => sum + Math.min(hourMs, (hours.get(h) ?? 0) * sampleSeconds * 1000), 0);
    const figures = { countedFrom: start, running: runningMs / hourMs, stopped: (to - start - runningMs) / hourMs };
    if (stops === null) return { ...figures, stopsByIdleStop: null, otherStops: null };
    const counted = stops.filter((t) => t >= Math.max(start, stopsFrom) && t < to);
    const unused = [...counted];
    let other = 0;
    for (let h = start + hourMs; h < to; h += hourMs) {
        if (hours.has(h) || !hours.has(h - hourMs) || h < stopsFrom) continue;
        const i = unused.findIndex((t) => t >= h - hourMs && t < h + hourMs);
        if (i >= 0) unused.splice(i, 1);
        else other++;
    }
    return { ...figures, stopsByIdleStop: counted.length, otherStops: other };
}

async function regionFigures(region: string, boxes: WatchedBox[], o: SavingsOptions, stopsFrom: number) {
    const [samples, instances, stops] = await Promise.all([
        hourlySamples(region, boxes, o.from, o.to),
        describeInstancesLenient(
            region,
            boxes.map((b) => b.instanceId),
        ),
        o.withStops ? Promise.all(boxes.map((b) => idleStopTimes(region, b, new Date(stopsFrom), o.to))) : undefined,
    ]);
    return boxes.map((box, i) => ({
        box,
        instanceType: instances.get(box.instanceId)?.instanceType ?? null,
        figures: boxFigures(samples.get(box) ?? new Map(), stops?.[i] ?? null, o.from.getTime(), o.to.getTime(), stopsFrom, box.sampleSeconds),
    }));
}

/** Each box's samples count as its own sampleSeconds; the report names the value when they share one. */
function commonSampleSeconds(boxes: readonly WatchedBox[]): number | null {
    const values = new Set(boxes.map((b) => b.sampleSeconds));
    return values.size === 0 ? programAgentDefaults.sampleSeconds : values.size === 1 ? [...values][0] : null;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export async function savingsReport(boxes: readonly WatchedBox[], o: SavingsOptions): Promise<SavingsReport> {
    const stopsFrom = Math.max(o.from.getTime(), o.to.getTime() - ALARM_HISTORY_DAYS * dayMs);
    const regions = [...new Set(boxes.map((b) => b.region))];
    const rows = (
        await Promise.all(
            regions.map((r) =>
                regionFigures(
                    r,
                    boxes.filter((b) => b.region === r),
                    o,
                    stopsFrom,
                ),
            ),
        )
    ).flat();
    const pairs = rows.flatMap((r) => (r.instanceType !== null ? [{ region: r.box.region, instanceType: r.instanceType }] : []));
    const priced = await lookUpPrices(pairs, o.overrides, { cacheOnly: o.cacheOnly });
    const notes = [...priced.problems];
    for (const r of rows) {
        if (r.instanceType === null) notes.push(`${r.box.name}: EC2 does not know ${r.box.instanceId} (any more); hours only`);
        if (r.figures.countedFrom === null) notes.push(`${r.box.name}: no datapoints of its agent in the window; nothing counted`);
        else if (r.figures.countedFrom > o.from.getTime())
            notes.push(`${r.box.name}: counted from ${new Date(r.figures.countedFrom).toISOString()}, its first hour with data in the window`);
    }
    const out: BoxSavings[] = rows.map(({ box, instanceType, figures: f }) => {
        const usd = instanceType === null ? undefined : priced.prices.get(priceKey(box.region, instanceType));
        return {
            name: box.name,
            ...(box.stack !== undefined ? { stack: box.stack } : {}),
            instanceId: box.instanceId,
            region: box.region,
            instanceType,
            countedFrom: f.countedFrom === null ? null : new Date(f.countedFrom).toISOString(),
            hoursRunning: round2(f.running),
            hoursStopped: round2(f.stopped),
            stopsByIdleStop: f.stopsByIdleStop,
            otherStops: f.otherStops,
            usdPerHour: usd ?? null,
            savedUsd: usd === undefined ? null : round2(f.stopped * usd),
        };
    });
    const saved = out.flatMap((b) => (b.savedUsd === null ? [] : [b.savedUsd]));
    return {
        days: Math.round((o.to.getTime() - o.from.getTime()) / dayMs),
        from: o.from.toISOString(),
        to: o.to.toISOString(),
        stopsFrom: o.withStops ? new Date(stopsFrom).toISOString() : null,
        sampleSeconds: commonSampleSeconds(boxes),
        boxes: out,
        total: {
            hoursRunning: round2(sum(rows.map((r) => r.figures.running))),
            hoursStopped: round2(sum(rows.map((r) => r.figures.stopped))),
            stopsByIdleStop: o.withStops ? sum(out.map((b) => b.stopsByIdleStop ?? 0)) : null,
            otherStops: o.withStops ? sum(out.map((b) => b.otherStops ?? 0)) : null,
            savedUsd: saved.length === 0 ? null : round2(sum(saved)),
        },
        priceSource: priced.sources,
        notes,
    };
}

/** The window of `savings --days N`: N whole days ending at the start of the current hour (hourly data is complete up to there). */
export function lastDays(days: number, now = Date.now()): { from: Date; to: Date } {
    const to = Math.floor(now / hourMs) * hourMs;
    return { from: new Date(to - days * dayMs), to: new Date(to) };
}

/** This calendar month (UTC) so far, up to the start of the current hour. */
export function thisMonth(now = Date.now()): { from: Date; to: Date } {
    const d = new Date(now);
    const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    return { from: new Date(from), to: new Date(Math.max(from, Math.floor(now / hourMs) * hourMs)) };
}
