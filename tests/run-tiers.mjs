#!/usr/bin/env node
// Runs the test suite by tier (docs/testing.md): unit and integration files in parallel in one
// mocha process (each file owns its ports, temp dirs and users, so files do not see each other),
// and the system tier, which changes the machine (a system user, /opt, /etc, /run/utmp), serially
// in a second process under a machine-wide lock, at the same time. The system tier's report is
// printed after the parallel one so the two do not interleave.
//
//   node tests/run-tiers.mjs [all|unit|integration|system]     (default: all)
//   IDLE_STOP_TEST_JOBS=N   parallel mocha workers (default 6: most tests wait, few compute)
import { spawn } from "node:child_process";

/** In-process tests: Pulumi mocks, synthetic /proc trees, pure functions. */
const UNIT = [
    "tests/components/**/*.test.ts",
    "tests/program/**/*.test.ts",
    "tests/package/**/*.test.ts",
    "tests/laptop/commands.test.ts",
    "tests/laptop/program-outputs.test.ts",
    "tests/agent/activity-units.test.ts",
    "tests/agent/outbox.test.ts",
    "tests/agent/scheduler.test.ts",
    "tests/agent/sessions-synthetic.test.ts",
];
const SYSTEM = ["tests/**/*.system.test.ts"];
const ALL = ["tests/**/*.test.ts"];
/** Serialises system tiers of concurrent runs on one machine (two checkouts, a developer and CI). */
const SYSTEM_LOCK = "/tmp/idle-stop-system-tests.lock";

const jobs = process.env.IDLE_STOP_TEST_JOBS ?? "6";
const ignore = (globs) => globs.flatMap((g) => ["--ignore", g]);

const tiers = {
    unit: { args: ["--parallel", "--jobs", jobs, ...UNIT] },
    integration: { args: ["--parallel", "--jobs", jobs, ...ALL, ...ignore(UNIT), ...ignore(SYSTEM)] },
    parallel: { args: ["--parallel", "--jobs", jobs, ...ALL, ...ignore(SYSTEM)] },
    system: { args: SYSTEM, lock: SYSTEM_LOCK },
};

/** Runs one tier; resolves with its exit code, wall time and (when buffered) its output. */
function run(name, { buffered }) {
    const tier = tiers[name];
    const mocha = ["node_modules/.bin/mocha", ...tier.args];
    const [cmd, args] = tier.lock ? ["flock", [tier.lock, ...mocha]] : [mocha[0], mocha.slice(1)];
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: buffered ? ["ignore", "pipe", "pipe"] : "inherit" });
    const chunks = [];
    if (buffered) {
        child.stdout.on("data", (c) => chunks.push(c));
        child.stderr.on("data", (c) => chunks.push(c));
    }
    return new Promise((resolve) => {
        child.on("close", (code, signal) => {
            resolve({ name, code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000, output: Buffer.concat(chunks) });
        });
    });
}

const which = process.argv[2] ?? "all";
let results;
if (which === "all") {
    const system = run("system", { buffered: true });
    const parallel = await run("parallel", { buffered: false });
    const sys = await system;
    process.stdout.write(`\n=== system tier (serial, ${SYSTEM_LOCK}) ===\n`);
    process.stdout.write(sys.output);
    results = [parallel, sys];
} else if (which in tiers && which !== "parallel") {
    results = [await run(which, { buffered: false })];
} else {
    process.stderr.write(`usage: node tests/run-tiers.mjs [all|unit|integration|system]\n`);
    process.exit(2);
}
for (const r of results) {
    process.stdout.write(`tier ${r.name}: ${r.code === 0 ? "passed" : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
