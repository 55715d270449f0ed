// Builds the payload that gets pushed onto an instance: agent/dist/ holds the single-file
// agent bundle plus the installer files from agent/install/. The component copies this
// directory as one unit, so everything the box needs must end up here.
//   node agent/build.mjs [--outdir DIR]   (tests build into a temp dir of their own)
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const agentDir = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const distDir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(agentDir, "dist");
const bundlePath = join(distDir, "idle-stop-agent.js");

rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

await build({
    entryPoints: [join(agentDir, "src", "main.ts")],
    outfile: bundlePath,
    bundle: true,
    platform: "node",
    // The bundled AWS SDK v3 needs node >= 20; so do we.
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
});

const installDir = join(agentDir, "install");
if (existsSync(installDir)) {
    cpSync(installDir, distDir, { recursive: true });
}

console.log(`built ${bundlePath} (${statSync(bundlePath).size} bytes)`);
