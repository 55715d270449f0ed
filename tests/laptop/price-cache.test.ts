// The Price List cache of `idle-stop savings` (laptop/src/aws/prices.ts), in process on real files:
// only sane prices are used, and only a regular file at the cache path is read or replaced.
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { lookUpPrices, readPriceCache, writePriceCache } from "../../laptop/src/aws/prices";

describe("idle-stop savings: the price cache", () => {
    let dir: string;
    const now = Date.UTC(2026, 11, 3, 12);
    const pair = { region: "eu-west-1", instanceType: "t3.large" };
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "idle-stop-price-cache-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("ignores a price that is not a finite, sane number (1e309 reads as Infinity)", async () => {
        const file = path.join(dir, "prices.json");
        writeFileSync(
            file,
            '{"eu-west-1/t3.large": {"usdPerHour": 1e309, "fetchedAt": ' +
                now +
                '}, "eu-west-1/t3.small": {"usdPerHour": 5e6, "fetchedAt": ' +
                now +
                '}, "eu-west-1/t3.nano": {"usdPerHour": 0.0052, "fetchedAt": ' +
                now +
                "}}",
        );
        assert.deepEqual(readPriceCache(file), { "eu-west-1/t3.nano": { usdPerHour: 0.0052, fetchedAt: now } });
        const found = await lookUpPrices([pair], new Map(), { cacheOnly: true, now, cacheFile: file });
        assert.equal(found.prices.size, 0);
        assert.match(found.problems.join("\n"), /^no cached price for eu-west-1\/t3\.large/);
    });

    it("does not follow a symlink at the cache path: its target is neither read nor written; a loose folder is made 0700", async () => {
        const target = path.join(dir, "elsewhere.json");
        const content = JSON.stringify({ "eu-west-1/t3.large": { usdPerHour: 0.0832, fetchedAt: now } });
        writeFileSync(target, content);
        const cacheDir = path.join(dir, "cache");
        mkdirSync(cacheDir, { mode: 0o755 });
        const file = path.join(cacheDir, "prices.json");
        symlinkSync(target, file);
        assert.deepEqual(readPriceCache(file), {}, "the target's content is not used");
        const found = await lookUpPrices([pair], new Map(), { cacheOnly: true, now, cacheFile: file });
        assert.equal(found.prices.size, 0);

        writePriceCache(file, { "eu-west-1/t3.small": { usdPerHour: 0.0208, fetchedAt: now } });
        assert.equal(readFileSync(target, "utf8"), content, "the target is unchanged");
        assert.ok(lstatSync(file).isFile(), "the link is replaced by the cache itself");
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
        assert.deepEqual(readPriceCache(file), { "eu-west-1/t3.small": { usdPerHour: 0.0208, fetchedAt: now } });

        // A FIFO at the cache path is no regular file: read as empty, without blocking.
        rmSync(file);
        execFileSync("mkfifo", [file]);
        assert.deepEqual(readPriceCache(file), {});
    });
});
