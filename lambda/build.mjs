// Builds the alarm-action function (docs/reference/alarm-action.md): lambda/dist/alarm-action.js, one
// CommonJS file with the AWS SDK's EC2 client inside, which the component zips and deploys as is.
//   node lambda/build.mjs [--outdir DIR]
import { build } from "esbuild";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const lambdaDir = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const distDir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(lambdaDir, "dist");
const bundlePath = join(distDir, "alarm-action.js");

rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

await build({
    entryPoints: [join(lambdaDir, "src", "alarm-action.ts")],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    // The nodejs22.x runtime the component deploys.
    target: "node22",
    format: "cjs",
    // The SDK is bundled, not taken from the runtime: the deployed function then runs the SDK version
    // the tests ran, not whatever the runtime carries that month. ES module builds let esbuild drop
    // the commands the function does not use.
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    logLevel: "warning",
});

console.log(`built ${bundlePath} (${statSync(bundlePath).size} bytes)`);
