// Section 4: program scale. Runs bench/program-scale.ts in its own node process (Pulumi's mocks
// are process-wide) and returns its JSON.
import { join } from "node:path";
import { REPO } from "./lib/preflight";
import { run } from "./lib/util";

export interface ProgramResult {
    repeats: number;
    results: Array<{ instances: number; resources: number; medianMs: number; msPerInstance: number }>;
    marginalMsPerInstance: number;
}

export async function program(): Promise<ProgramResult> {
    const r = await run(process.execPath, ["-r", "ts-node/register/transpile-only", join(REPO, "bench", "program-scale.ts")], {
        cwd: REPO,
        timeoutMs: 900000,
    });
    if (r.code !== 0) throw new Error(`program-scale failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    const at = r.stdout.indexOf(`{\n  "repeats"`); // anything the program logged comes before
    return JSON.parse(at >= 0 ? r.stdout.slice(at) : r.stdout) as ProgramResult;
}
