#!/usr/bin/env node
// Runs the test suite by tier (docs/testing.md), the three tiers at the same time, each in its own
// mocha process. Unit files (CPU-bound, in-process) run in parallel at a lower CPU priority, so
// they use what the waiting tiers leave and never delay an agent's one-second samples; integration
// files run in parallel (each file owns its ports, temp dirs, users and, through
// tests/support/isolated-view.ts, its view of the machine's sessions, so files do not see each
// other); the system tier, which changes the machine (a system user, /opt, /etc, /run/utmp), runs
// serially under a machine-wide lock. The integration report is shown as it comes; the unit and
// system reports follow it, so the three do not interleave. An `all` run also type-checks
// (`tsc --noEmit`) alongside them.
//
//   node tests/run-tiers.mjs [all|unit|integration|system] [mocha options...]    (default: all)
//   IDLE_STOP_TEST_JOBS=N   parallel integration workers (default 6: they mostly wait)
//
// Mocha options are passed to every tier's mocha; `{tier}` in them becomes the tier's name
// (`--reporter json --reporter-option output=/tmp/report-{tier}.json`).
import { execFileSync, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// The laptop bundle is built once, here, before any tier starts: parallel mocha workers that each
// rebuilt laptop/dist would delete the chunks the others are running (tests/support/laptop.ts).
execFileSync(process.execPath, [`${ROOT}laptop/build.mjs`], { stdio: "inherit" });
process.env.IDLE_STOP_LAPTOP_BUILT = "1";

/** In-process tests (Pulumi mocks, synthetic /proc trees, pure functions): folders and files. */
const UNIT = [
    "tests/common/",
    "tests/components/",
    "tests/program/",
    "tests/package/",
    "tests/lambda/",
    "tests/laptop/commands.test.ts",
    "tests/laptop/price-cache.test.ts",
    "tests/laptop/program-outputs.test.ts",
    "tests/laptop/schedule-status.test.ts",
    "tests/agent/activity-units.test.ts",
    "tests/agent/busy-signals.test.ts",
    "tests/agent/outbox.test.ts",
    "tests/agent/scheduled-stop.test.ts",
    "tests/agent/scheduler.test.ts",
    "tests/agent/sessions-synthetic.test.ts",
];
/** Tests that change the machine are named *.system.test.ts. */
const isSystem = (file) => file.endsWith(".system.test.ts");
const isUnit = (file) => UNIT.some((u) => (u.endsWith("/") ? file.startsWith(u) : file === u));

/**
 * The longest files first, so a worker is not left starting one of them at the end (measured
 * durations in docs/testing.md); the others follow in path order. A name missing here is harmless.
 * The unit tier's four package files lead its list: the plugin's (it starts the plugin in a child
 * process) keeps one worker waiting while the other starts the other three, which then mostly
 * share one inference of the package schema (20 s of CPU, once per process:
 * tests/support/idle-stop-package.ts).
 */
const LONGEST_FIRST = [
    "tests/package/plugin.test.ts",
    "tests/package/construct.test.ts",
    "tests/package/schema.test.ts",
    "tests/package/examples.test.ts",
    "tests/agent/activity-sshd-sftp.test.ts",
    "tests/agent/publish.test.ts",
    "tests/agent/holds.test.ts",
    "tests/agent/activity-sshd-traffic.test.ts",
    "tests/agent/publish-restarts.test.ts",
    "tests/agent/activity-sshd-terminal-input.test.ts",
    "tests/laptop/proxy.test.ts",
    "tests/agent/activity-sshd-connected-rule.test.ts",
    "tests/agent/activity-sshd-other-terminals.test.ts",
    "tests/agent/publisher.test.ts",
    "tests/agent/dead-connections.test.ts",
    "tests/laptop/lifecycle.test.ts",
    "tests/agent/sessions-sshd.test.ts",
];

/** Serialises system tiers of concurrent runs on one machine (two checkouts, a developer and CI). */
const SYSTEM_LOCK = "/tmp/idle-stop-system-tests.lock";

/** Every test file, repository-relative, longest first. */
function testFiles() {
    const all = readdirSync(`${ROOT}tests`, { recursive: true })
        .map((f) => `tests/${f}`)
        .filter((f) => f.endsWith(".test.ts"))
        .sort();
    const rank = (f) => {
        const i = LONGEST_FIRST.indexOf(f);
        return i === -1 ? LONGEST_FIRST.length : i;
    };
    return all.sort((a, b) => rank(a) - rank(b));
}

const files = testFiles();
const parallel = (jobs, list) => ["--parallel", "--jobs", String(jobs), ...list];
const tiers = {
    // One worker per CPU: they compute.
    unit: { args: parallel(availableParallelism(), files.filter(isUnit)), nice: 10 },
    integration: {
        args: parallel(
            process.env.IDLE_STOP_TEST_JOBS ?? 6,
            files.filter((f) => !isUnit(f) && !isSystem(f)),
        ),
    },
    system: { args: files.filter(isSystem), lock: SYSTEM_LOCK },
};
/**
 * `tsc --noEmit` (`npm run typecheck`): in an `all` run it goes alongside the tiers, niced like the
 * unit tier, instead of before them: it only reads, and its half a minute of CPU fills the time
 * the integration and system tiers spend waiting.
 */
const typecheck = { command: [process.execPath, `${ROOT}node_modules/typescript/bin/tsc`, "--noEmit"], nice: 10 };

/** Runs one tier; resolves with its exit code, wall time and (when buffered) its output. */
function run(name, extra, { buffered }) {
    const tier = name === "typecheck" ? typecheck : tiers[name];
    const command = tier.command ?? [`${ROOT}node_modules/.bin/mocha`, ...extra.map((a) => a.replaceAll("{tier}", name)), ...tier.args];
    const argv = [...(tier.nice ? ["nice", "-n", String(tier.nice)] : []), ...(tier.lock ? ["flock", tier.lock] : []), ...command];
    const [cmd, args] = [argv[0], argv.slice(1)];
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    // Kept even when shown as it comes: a failed tier's failures are repeated at the very end.
    const chunks = [];
    for (const [stream, out] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
    ]) {
        stream.on("data", (c) => {
            chunks.push(c);
            if (!buffered) out.write(c);
        });
    }
    return new Promise((resolve) => {
        child.on("close", (code, signal) => {
            resolve({ name, code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000, output: Buffer.concat(chunks) });
        });
    });
}

const [which = "all", ...extra] = process.argv.slice(2);
let results;
if (which === "all") {
    const system = run("system", extra, { buffered: true });
    const unit = run("unit", extra, { buffered: true });
    const types = run("typecheck", extra, { buffered: true });
    const integration = await run("integration", extra, { buffered: false });
    results = [integration];
    for (const [r, how] of [
        [await unit, "parallel, niced"],
        [await system, `serial, under ${SYSTEM_LOCK}`],
        [await types, "tsc --noEmit, niced"],
    ]) {
        process.stdout.write(`\n=== ${r.name} tier (${how}) ===\n`);
        process.stdout.write(r.output);
        results.push(r);
    }
} else if (which in tiers) {
    results = [await run(which, extra, { buffered: false })];
} else {
    process.stderr.write(`usage: node tests/run-tiers.mjs [all|unit|integration|system] [mocha options...]\n`);
    process.exit(2);
}
// CI logs are often read from the end: a failed tier's failure list (mocha's "N failing" and what
// follows it) is repeated last, so it is never scrolled away by the tiers reported after it.
for (const r of results.filter((r) => r.code !== 0)) {
    const text = r.output.toString();
    const failing = text.search(/^ {2}\d+ failing/m);
    process.stdout.write(`\n=== ${r.name} tier: what failed ===\n${failing === -1 ? text.slice(-4000) : text.slice(failing)}\n`);
}
for (const r of results) {
    process.stdout.write(`tier ${r.name}: ${r.code === 0 ? "passed" : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
