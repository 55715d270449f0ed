/**
 * On-demand Linux prices per instance type and region from the AWS Price List Query API
 * (pricing:GetProducts, endpoint in us-east-1), cached on disk for a day, overridable with
 * `--price TYPE=USD` (docs/reference/laptop.md#savings).
 */
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { INSTANCE_TYPE_PATTERN } from "../../../common/aws-ids";
import { UsageError } from "../../../common/errors";
import { quotedPrintable } from "../../../common/printable";
import { awsCall } from "./errors";

/** Where the Price List Query API answers (it also runs in ap-south-1; one is enough). */
const PRICING_REGION = "us-east-1";
const dayMs = 86_400_000;

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

type CacheEntries = Record<string, { usdPerHour: number; fetchedAt: number }>;

/** The cache's entries; a missing, unreadable or corrupt file is an empty cache. */
function readCache(file: string): CacheEntries {
    try {
        const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
        const entries: CacheEntries = {};
        for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
            const { usdPerHour, fetchedAt } = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
            if (typeof usdPerHour === "number" && usdPerHour > 0 && typeof fetchedAt === "number") entries[key] = { usdPerHour, fetchedAt };
        }
        return entries;
    } catch {
        return {};
    }
}

/** Written whole to a temporary file and renamed, readable by its owner only (0600 in a 0700 folder). */
function writeCache(file: string, entries: CacheEntries): void {
    try {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify(entries), { mode: 0o600 });
        chmodSync(temp, 0o600);
        renameSync(temp, file);
    } catch {
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
            if (dim?.unit === "Hrs" && typeof usd === "string" && /^\d{1,6}(\.\d{1,10})?$/.test(usd) && Number(usd) > 0) return Number(usd);
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
    const cache = readCache(file);
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
    if (fetched) writeCache(file, cache);
    return { prices, sources: [...sources], problems };
}
