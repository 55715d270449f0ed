// The command registry and what is built from it: the generated help covers every command and
// option, and the bundle keeps the AWS SDK out of `--help` and CloudWatch out of `proxy`.
import { strict as assert } from "assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { commandHelp, generalHelp } from "../../laptop/src/cli/usage";
import { commands, findCommand } from "../../laptop/src/commands";
import { repoRoot } from "../support/laptop";

describe("idle-stop commands and their help", function () {
    it("has one command per name, each found by it", () => {
        const names = commands.map((c) => c.name);
        assert.equal(new Set(names).size, names.length);
        for (const name of names) assert.equal(findCommand(name)?.name, name);
        assert.equal(findCommand("toString"), undefined);
    });

    it("generates the general help from every command's usage and summary", () => {
        const help = generalHelp(commands);
        assert.match(help, /^usage: idle-stop COMMAND/);
        for (const c of commands) {
            assert.ok(help.includes(`\n  ${c.name} ${c.usage[0]}`), c.name);
            assert.ok(help.includes(c.summary.split("\n")[0]), c.name);
        }
    });

    it("generates each command's help with its usage, description and every option", () => {
        for (const c of commands) {
            const help = commandHelp(c);
            assert.ok(help.startsWith(`usage: idle-stop ${c.name} ${c.usage[0]}\n`), c.name);
            assert.ok(help.includes(c.description.split("\n")[0]), c.name);
            for (const o of c.options) {
                assert.ok(help.includes(`\n  --${o.name}${o.value ? ` ${o.value}` : ""} `), `${c.name} --${o.name}`);
                assert.ok(help.includes(o.description.split("\n")[0]), `${c.name} --${o.name}`);
            }
        }
    });
});

describe("idle-stop bundle (laptop/build.mjs)", function () {
    this.timeout(120000);
    let dist: string;

    before(() => {
        dist = mkdtempSync(path.join(tmpdir(), "idle-stop-dist-"));
        execFileSync(process.execPath, [path.join(repoRoot, "laptop", "build.mjs"), "--outdir", dist], { stdio: "pipe" });
    });
    after(() => rmSync(dist, { recursive: true, force: true }));

    /** The chunks `start` and everything they import statically (loaded before any code of theirs runs). */
    function closure(start: string[]): Set<string> {
        const seen = new Set<string>();
        const visit = (file: string): void => {
            if (seen.has(file)) return;
            seen.add(file);
            for (const m of readFileSync(path.join(dist, file), "utf8").matchAll(/(?:from|import)\s*"\.\/([^"]+\.mjs)"/g)) visit(m[1]);
        };
        start.forEach(visit);
        return seen;
    }

    const chunk = (prefix: string): string => {
        const found = readdirSync(dist).find((f) => f.startsWith(`${prefix}-`));
        assert.ok(found, `no chunk ${prefix}-*.mjs: commands must load their helpers with await import()`);
        return found;
    };

    it("--help and usage errors load no AWS SDK", () => {
        for (const file of closure(["main.mjs"])) {
            assert.doesNotMatch(readFileSync(path.join(dist, file), "utf8"), /aws-sdk-js/, file);
        }
    });

    it("proxy loads the EC2 client but not CloudWatch", () => {
        const loaded = closure(["main.mjs", chunk("instances"), chunk("relay")]);
        const text = [...loaded]
            .filter((f) => f !== "main.mjs")
            .map((f) => readFileSync(path.join(dist, f), "utf8"))
            .join("\n");
        assert.match(text, /DescribeInstances/);
        // main.mjs names GetMetricData in the help text; no other chunk proxy loads may.
        assert.doesNotMatch(text, /GetMetricData/);
    });
});
