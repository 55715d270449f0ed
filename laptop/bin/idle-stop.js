#!/usr/bin/env node
// `npx idle-stop` (package.json bin). Runs the bundle `npm run build` / `npm ci` (prepare) made;
// without it (e.g. after `npm ci --ignore-scripts`), the TypeScript sources through ts-node, slower.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

const bundle = join(__dirname, "..", "dist", "main.mjs");
if (existsSync(bundle)) {
    import(pathToFileURL(bundle).href);
} else {
    try {
        require("ts-node").register({ transpileOnly: true, project: join(__dirname, "..", "..", "tsconfig.json") });
    } catch {
        process.stderr.write("idle-stop: laptop/dist/main.mjs is missing; run `npm run build` in the repository\n");
        process.exit(1);
    }
    require(join(__dirname, "..", "src", "main.ts"));
}
