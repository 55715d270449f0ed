/**
 * On-demand Linux prices per instance type and region from the AWS Price List Query API
 * (pricing:GetProducts, endpoint in us-east-1), cached on disk for a day, overridable with
 * `--price TYPE=USD` (docs/reference/laptop.md#savings).
 */
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { INSTANCE_TYPE_PATTERN } from "../../../common/aws-ids";
import { UsageError } from "../../../common/errors";
import { quotedPrintable } from "../../../common/printable";
import { awsCall } from "./errors";

/** Where the Price List Query API answers (it also runs in ap-south-1; one is enough). */
const PRICING_REGION = "us-east-1";
const dayMs = 86_400_000;
/** No EC2 instance costs this much an hour; a larger figure (from the API or the cache) is no price. */
const MAX_USD_PER_HOUR = 1_000_000;
/** The cache holds a few entries; a larger file is not ours. */
const MAX_CACHE_BYTES = 1 << 20;

/** A price per hour as both the Price List and the cache must give it: a finite number above 0, below the bound. */
const sanePrice = (usd: unknown): usd is number => typeof usd === "number" && Number.isFinite(usd) && usd > 0 && usd < MAX_USD_PER_HOUR;

/** `--price TYPE=USD_PER_HOUR`, repeatable: type -> dollars an hour. */
export function parsePriceOverrides(values: readonly string[]): Map<string, number> {
    const prices = new Map<string, number>();
    for (const v of values) {
        const m = /^([^=]+)=(\d{1,6}(?:\.\d{1,8})?)$/.exec(v);
        if (!m || !INSTANCE_TYPE_PATTERN.test(m[1]))
            throw new UsageError(`--price ${quotedPrintable(v)}: expected TYPE=USD_PER_HOUR, e.g. t3.large=0.0832`);
        prices.set(m[1], Number(m[2]));
    }
    return prices;
}

/** The cache file: $XDG_CACHE_HOME/idle-stop/prices.json, else ~/.cache/idle-stop/prices.json. */
function priceCacheFile(env: NodeJS.ProcessEnv = process.env): string {
    const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || homedir(), ".cache");
    return path.join(base, "idle-stop", "prices.json");
}

export type CacheEntries = Record<string, { usdPerHour: number; fetchedAt: number }>;

/**
 * The cache file's text, when it is a regular file of at most MAX_CACHE_BYTES: opened without
 * following a symlink and without blocking on a FIFO, then checked on the open descriptor.
 */
function readCacheText(file: string): string | undefined {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
        const stat = fstatSync(fd);
        if (!stat.isFile() || stat.size > MAX_CACHE_BYTES) return undefined;
        const buffer = Buffer.alloc(stat.size);
        let read = 0;
        while (read < buffer.length) {
            const n = readSync(fd, buffer, read, buffer.length - read, read);
            if (n === 0) break;
            read += n;
        }
        return buffer.subarray(0, read).toString("utf8");
    } finally {
        closeSync(fd);
    }
}

/** The cache's entries; a missing, unreadable or corrupt file (or not a regular file) is an empty cache. */
export function readPriceCache(file: string): CacheEntries {
    try {
        const parsed: unknown = JSON.parse(readCacheText(file) ?? "");
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
        const entries: CacheEntries = {};
        for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
            const { usdPerHour, fetchedAt } = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
            if (sanePrice(usdPerHour) && typeof fetchedAt === "number" && Number.isFinite(fetchedAt)) entries[key] = { usdPerHour, fetchedAt };
        }
        return entries;
    } catch {
        return {};
    }
}

/**
 * Written whole to a new temporary file of a random name (created exclusively: nothing there is
 * followed) and renamed over the cache, readable by its owner only (0600 in a 0700 folder).
 */
export function writePriceCache(file: string, entries: CacheEntries): void {
    const temp = `${file}.${randomBytes(8).toString("hex")}.tmp`;
    try {
        const dir = path.dirname(file);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // mkdir leaves an existing folder's mode alone.
        chmodSync(dir, 0o700);
        const fd = openSync(temp, "wx", 0o600);
        try {
            fchmodSync(fd, 0o600); // whatever the umask
            writeFileSync(fd, JSON.stringify(entries));
        } finally {
            closeSync(fd);
        }
        renameSync(temp, file);
    } catch {
        rmSync(temp, { force: true });
        /* a cache that cannot be written only costs the next run a request */
    }
}

/**
 * The dollars an hour in one GetProducts price list item, if it has an on-demand hourly price. The
 * wire carries each item as a JSON string; the SDK may hand it over as that string, as a String
 * object (its lazy JSON) or already parsed.
 */
function onDemandUsd(item: unknown): number | undefined {
    let parsed: unknown = item;
    if (typeof item === "string" || item instanceof String) {
        try {
            parsed = JSON.parse(String(item));
        } catch {
            return undefined;
        }
    }
    const onDemand = (parsed as { terms?: { OnDemand?: unknown } } | null)?.terms?.OnDemand;
    if (typeof onDemand !== "object" || onDemand === null) return undefined;
    for (const term of Object.values(
        onDemand as Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: unknown } }> }>,
    )) {
        for (const dim of Object.values(term?.priceDimensions ?? {})) {
            const usd = dim?.pricePerUnit?.USD;
            if (dim?.unit === "Hrs" && typeof usd === "string" && /^\d{1,6}(\.\d{1,10})?$/.test(usd) && sanePrice(Number(usd))) return Number(usd);
        }
    }
    return undefined;
}

async function fetchPrice(client: PricingClient, instanceType: string, region: string): Promise<number | undefined> {
    const field = (Field: string, Value: string) => ({ Type: "TERM_MATCH" as const, Field, Value });
    const out = await awsCall({ action: "pricing:GetProducts", target: `${instanceType} in ${region}` }, () =>
        client.send(
            new GetProductsCommand({
                ServiceCode: "AmazonEC2",
                FormatVersion: "aws_v1",
                MaxResults: 10,
                Filters: [
                    field("instanceType", instanceType),
                    field("regionCode", region),
                    field("operatingSystem", "Linux"),
                    field("tenancy", "Shared"),
                    field("preInstalledSw", "NA"),
                    field("capacitystatus", "Used"),
                    field("licenseModel", "No License required"),
                ],
            }),
        ),
    );
    const items: unknown[] = Array.isArray(out.PriceList) ? out.PriceList : [];
    for (const item of items) {
        const usd = onDemandUsd(item);
        if (usd !== undefined) return usd;
    }
    return undefined;
}

export interface PriceLookup {
    /** `region/type` -> dollars an hour, for every pair that has one. */
    readonly prices: Map<string, number>;
    /** Where they came from: `Price List API`, `cache`, `--price`, joined. */
    readonly sources: string[];
    /** One line each on what has no price, and why. */
    readonly problems: string[];
}

export const priceKey = (region: string, instanceType: string): string => `${region}/${instanceType}`;

/**
 * Prices for these region/type pairs: `--price` first, then the day-old cache, then the API
 * (unless `cacheOnly`). When the API cannot be reached the rest go without a price, said once.
 */
export async function lookUpPrices(
    pairs: ReadonlyArray<{ region: string; instanceType: string }>,
    overrides: ReadonlyMap<string, number>,
    options: { cacheOnly?: boolean; now?: number; cacheFile?: string } = {},
): Promise<PriceLookup> {
    const now = options.now ?? Date.now();
    const file = options.cacheFile ?? priceCacheFile();
    const cache = readPriceCache(file);
    const prices = new Map<string, number>();
    const sources = new Set<string>();
    const problems: string[] = [];
    const missing: Array<{ region: string; instanceType: string }> = [];
    for (const p of pairs) {
        const key = priceKey(p.region, p.instanceType);
        const cached = cache[key];
        if (overrides.has(p.instanceType)) {
            prices.set(key, overrides.get(p.instanceType) ?? 0);
            sources.add("--price");
        } else if (cached && now - cached.fetchedAt < dayMs && cached.fetchedAt <= now) {
            prices.set(key, cached.usdPerHour);
            sources.add("cache");
        } else if (!prices.has(key) && !missing.some((m) => priceKey(m.region, m.instanceType) === key)) missing.push(p);
    }
    if (missing.length === 0) return { prices, sources: [...sources], problems };
    if (options.cacheOnly) {
        problems.push(`no cached price for ${missing.map((m) => priceKey(m.region, m.instanceType)).join(", ")}: \`idle-stop savings\` fetches them`);
        return { prices, sources: [...sources], problems };
    }
    const client = new PricingClient({ region: PRICING_REGION });
    let fetched = false;
    for (const p of missing) {
        let usd: number | undefined;
        try {
            usd = await fetchPrice(client, p.instanceType, p.region);
        } catch (err) {
            problems.push(
                `no prices: the AWS Price List API did not answer (${(err as Error).message}); hours only, or give --price TYPE=USD_PER_HOUR`,
            );
            break;
        }
        if (usd === undefined) {
            problems.push(
                `no on-demand Linux price for ${p.instanceType} in ${p.region} in the AWS Price List; hours only for it (--price ${p.instanceType}=USD sets one)`,
            );
            continue;
        }
        prices.set(priceKey(p.region, p.instanceType), usd);
        cache[priceKey(p.region, p.instanceType)] = { usdPerHour: usd, fetchedAt: now };
        sources.add("Price List API");
        fetched = true;
    }
    if (fetched) writePriceCache(file, cache);
    return { prices, sources: [...sources], problems };
}
