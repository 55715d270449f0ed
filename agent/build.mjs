// Builds the payload that gets pushed onto an instance: agent/dist/ holds the single-file
// agent bundle plus the installer files from agent/install/. The component copies this
// directory as one unit, so everything the box needs must end up here.
//   node agent/build.mjs [--outdir DIR]   (tests build into a temp dir of their own)
//   --swap agent/src/X.ts=bench/variants/Y.ts (repeatable; bench only): build with Y in place of X,
//   so the bench can measure the agent without one of its economies (bench/lib/variants.ts).
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const agentDir = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf("--outdir");
const distDir = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(agentDir, "dist");
const bundlePath = join(distDir, "idle-stop-agent.js");

const swaps = new Map();
process.argv.forEach((a, i) => {
    if (a !== "--swap") return;
    const [from, to] = process.argv[i + 1].split("=");
    swaps.set(resolve(from), resolve(to));
});
const swapPlugin = {
    name: "swap",
    setup(b) {
        b.onResolve({ filter: /^\./ }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            const to = swaps.get(target) ?? swaps.get(`${target}.ts`);
            return to ? { path: to } : undefined;
        });
    },
};

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
    // Prefer the ES module builds the SDK packages ship: esbuild can drop what is not used from
    // those, not from CommonJS (a `require` of a package index keeps all of it).
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
    plugins: swaps.size > 0 ? [swapPlugin] : [],
});

const installDir = join(agentDir, "install");
if (existsSync(installDir)) {
    cpSync(installDir, distDir, { recursive: true });
}

console.log(`built ${bundlePath} (${statSync(bundlePath).size} bytes)`);
