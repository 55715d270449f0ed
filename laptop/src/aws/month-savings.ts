/**
 * `status`'s saving line: this calendar month's hours stopped and dollars saved per box, as
 * `idle-stop savings` counts them (docs/reference/laptop.md#savings), without its slower parts:
 * no alarm history, and prices from the cache `savings` fills (no Price List call on every status).
 */
import type { WatchedBox } from "../stack-outputs";
import { savingsReport, thisMonth } from "./savings-report";

export type MonthSaving =
    { since: string; hoursStopped: number; usdPerHour: number | null; savedUsd: number | null; noPrice?: string } | { unknown: string };

/** The key of a box in monthSavings' answer. */
export const savingKey = (b: { region: string; instanceId: string }): string => `${b.region} ${b.instanceId}`;

/** Per box (savingKey); a failure to read the figures is shown, not fatal: status has more to say. */
export async function monthSavings(boxes: readonly WatchedBox[], now = Date.now()): Promise<Map<string, MonthSaving>> {
    const window = thisMonth(now);
    try {
        const report = await savingsReport(boxes, { ...window, overrides: new Map(), withStops: false, cacheOnly: true });
        const noPrice = report.notes.find((n) => n.startsWith("no cached price")) ?? "no price";
        return new Map(
            report.boxes.map((b): [string, MonthSaving] => [
                savingKey(b),
                {
                    since: b.countedFrom ?? window.from.toISOString(),
                    hoursStopped: b.hoursStopped,
                    usdPerHour: b.usdPerHour,
                    savedUsd: b.savedUsd,
                    ...(b.savedUsd === null ? { noPrice: b.instanceType === null ? "EC2 does not know the instance" : noPrice } : {}),
                },
            ]),
        );
    } catch (err) {
        return new Map(boxes.map((b) => [savingKey(b), { unknown: (err as Error).message }]));
    }
}
