// Builds the laptop command into laptop/dist/ (main.mjs + chunks), so `npx idle-stop` starts in
// a fraction of what ts-node would take: every `ssh devbox` pays the start-up as ProxyCommand.
// ES modules with code splitting: `--help` loads no AWS SDK, `proxy` only the EC2 client (each
// src/commands/*.ts imports its AWS and Pulumi helpers with `await import`, a split point here).
// Run by `npm run build` and by `prepare` (so a fresh clone's `npm ci` leaves it ready).
//   node laptop/build.mjs [--outdir DIR]
import { build } from "esbuild";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const laptopDir = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const distDir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(laptopDir, "dist");
rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

await build({
    entryPoints: { main: join(laptopDir, "src", "main.ts") },
    outdir: distDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    // The AWS SDK's ES module build (dist-es) lets esbuild drop the EC2 API shapes we never call;
    // its CommonJS build (node's default) would carry all of them (1.3 MB, most of the start-up).
    mainFields: ["module", "main"],
    target: "node20",
    format: "esm",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    // The sources (and the SDK's CommonJS parts) expect require, __filename and __dirname.
    banner: {
        js: [
            'import { createRequire as __idleStopRequire } from "node:module";',
            'import { fileURLToPath as __idleStopPath } from "node:url";',
            'import { dirname as __idleStopDir } from "node:path";',
            "const require = __idleStopRequire(import.meta.url);",
            "const __filename = __idleStopPath(import.meta.url);",
            "const __dirname = __idleStopDir(__filename);",
        ].join(" "),
    },
});

const size = readdirSync(distDir).reduce((sum, f) => sum + statSync(join(distDir, f)).size, 0);
console.log(`built ${join(distDir, "main.mjs")} and chunks (${size} bytes)`);
