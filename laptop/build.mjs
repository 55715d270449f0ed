// Builds the laptop command into one file, laptop/dist/idle-stop.js, so `npx idle-stop` starts
// in a fraction of what ts-node would take (every `ssh devbox` pays the start-up as ProxyCommand).
// Run by `npm run build` and by `prepare` (so a fresh clone's `npm ci` leaves it ready).
//   node laptop/build.mjs [--outdir DIR]
import { build } from "esbuild";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const laptopDir = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const distDir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(laptopDir, "dist");
const bundlePath = join(distDir, "idle-stop.js");
mkdirSync(distDir, { recursive: true });

await build({
    entryPoints: [join(laptopDir, "src", "main.ts")],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
});

console.log(`built ${bundlePath} (${statSync(bundlePath).size} bytes)`);
