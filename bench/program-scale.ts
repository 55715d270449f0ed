// Program scale (reports, asserts nothing): time to evaluate the Pulumi program on Pulumi's mocks
// for fleets of 1, 10 and 100 watched instances (half adopted, half created), and the growth per
// instance. Prints one JSON object on stdout.
// Run by bench/run.ts (section "program"), or alone:
//   node -r ts-node/register/transpile-only bench/program-scale.ts
// PROGRAM_SCALE_SIZES (default 1,10,100), PROGRAM_SCALE_REPEATS (default 5).
import { installMocks, mockAws, runProgram } from "../tests/support/pulumi-mocks";
import { testPrivateKey } from "../tests/support/stack-configs";

const sizes = (process.env.PROGRAM_SCALE_SIZES ?? "1,10,100").split(",").map(Number);
const repeats = Number(process.env.PROGRAM_SCALE_REPEATS ?? "5");

function fleet(size: number): Record<string, string> {
    const entries = Array.from({ length: size }, (_, i) => {
        const name = `box${i}`;
        if (i % 2 === 0) {
            const instanceId = `i-${(0x10000000000000000n + BigInt(i)).toString(16).slice(-17)}`;
            mockAws.existingInstances.set(instanceId, { publicDns: `${name}.example`, publicIp: "203.0.113.1", privateIp: "10.0.0.1" });
            return { name, instanceId };
        }
        return { name, keyName: "team-key" };
    });
    return { sshPrivateKey: testPrivateKey, instances: JSON.stringify(entries) };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
    await installMocks();
    await runProgram(fleet(1)); // warm up module loading and the mock runtime
    const results: Array<{ instances: number; resources: number; medianMs: number; msPerInstance: number }> = [];
    for (const size of sizes) {
        const config = fleet(size);
        const times: number[] = [];
        let resources = 0;
        for (let i = 0; i < repeats; i++) {
            const started = process.hrtime.bigint();
            const run = await runProgram(config);
            times.push(Number(process.hrtime.bigint() - started) / 1e6);
            resources = run.resources.length;
        }
        const medianMs = median(times);
        results.push({ instances: size, resources, medianMs: Math.round(medianMs), msPerInstance: Math.round((medianMs / size) * 10) / 10 });
    }
    const first = results[0];
    const last = results[results.length - 1];
    const growth = (last.medianMs - first.medianMs) / (last.instances - first.instances);
    console.log(JSON.stringify({ repeats, results, marginalMsPerInstance: Math.round(growth * 10) / 10 }, null, 2));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
