// The Node.js versions the repository states agree with each other and with what the installed
// dependencies require: package.json engines, README's quick start, the laptop bundle's target;
// and, separately, the agent's runtime on the boxes (installer, agent bundle, docs/reference/installer.md).
import { strict as assert } from "assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../support/laptop";

const read = (file: string): string => readFileSync(path.join(repoRoot, file), "utf8");

/** The lowest major version a range like ">=22", ">= 20.0.0" or "^18.19" allows. */
function floor(range: string): number {
    const m = /^\s*(?:>=|\^|~)?\s*v?(\d+)/.exec(range);
    assert.ok(m, `cannot read the Node.js range ${JSON.stringify(range)}`);
    return Number(m[1]);
}

function enginesFloor(manifest: string): number | undefined {
    const engines = (JSON.parse(read(manifest)) as { engines?: { node?: string } }).engines;
    return engines?.node === undefined ? undefined : floor(engines.node);
}

describe("Node.js versions", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
    const required = enginesFloor("package.json");

    it("package.json engines asks at least what every dependency's engines asks", () => {
        assert.ok(required !== undefined, "package.json has engines.node");
        for (const dep of Object.keys(pkg.dependencies)) {
            const theirs = enginesFloor(path.join("node_modules", dep, "package.json"));
            if (theirs !== undefined) assert.ok(required >= theirs, `${dep} needs Node.js >= ${theirs}; engines says >= ${required}`);
        }
        assert.ok(required >= 22, "Node 20 is past its end of life (April 2026)");
    });

    it("README's quick start states the same version, and the laptop bundle runs there", () => {
        const stated = /Needs Node\.js >= (\d+)/.exec(read("README.md"));
        assert.equal(Number(stated?.[1]), required);
        const target = /target: "node(\d+)"/.exec(read("laptop/build.mjs"));
        assert.ok(target && Number(target[1]) <= (required ?? 0), "the laptop bundle's target is not newer than engines");
    });

    it("the agent's runtime on the boxes agrees with itself: installer, agent bundle, installer.md", () => {
        const installer = Number(/^NODE_MIN_MAJOR=(\d+)$/m.exec(read("agent/install/node-download.sh"))?.[1]);
        assert.ok(installer > 0);
        assert.equal(Number(/target: "node(\d+)"/.exec(read("agent/build.mjs"))?.[1]), installer);
        assert.match(read("docs/reference/installer.md"), new RegExp(`Node\\.js >= ${installer}\\b`));
    });
});
