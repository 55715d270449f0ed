// Laptop command benchmark: `npm run bench:laptop` (as root: it starts a private sshd).
// Reports; asserts no times. Prints a summary and writes bench/LAPTOP.md.
//   cold start   `npx idle-stop --help`, `node laptop/bin/idle-stop.js --help`, `node -e 0`
//                (baseline)                                                BENCH_LAPTOP_COLD_RUNS (11)
//   proxy        `ssh box true` direct vs through `idle-stop proxy` on a running box (local EC2
//                endpoint answering DescribeInstances; loopback sshd), alternating
//                                                                           BENCH_LAPTOP_SSH_RUNS (15)
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { clientEnv } from "../tests/support/cloudwatch-endpoint";
import { startEc2Endpoint } from "../tests/support/ec2-endpoint";
import { launcher, proxyCommand, repoRoot } from "../tests/support/laptop";
import { startSshd } from "../tests/support/sshd";
import { envNumber, median, run } from "./lib/util";

interface Figure {
    what: string;
    runs: number;
    medianMs: number;
    minMs: number;
}

async function timed(what: string, runs: number, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Figure> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        const r = await run(cmd, args, { cwd: repoRoot, env: env ?? process.env });
        if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr}`);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { what, runs, medianMs: median(times), minMs: Math.min(...times) };
}

async function main(): Promise<void> {
    execFileSync(process.execPath, [join(repoRoot, "laptop", "build.mjs")], { stdio: "inherit" });
    const coldRuns = envNumber("BENCH_LAPTOP_COLD_RUNS", 11);
    const sshRuns = envNumber("BENCH_LAPTOP_SSH_RUNS", 15);
    const figures: Figure[] = [];
    figures.push(await timed("node -e 0 (baseline)", coldRuns, process.execPath, ["-e", "0"]));
    figures.push(await timed("node laptop/bin/idle-stop.js --help", coldRuns, process.execPath, [launcher, "--help"]));
    figures.push(await timed("npx idle-stop --help", coldRuns, "npx", ["idle-stop", "--help"]));

    const sshd = await startSshd();
    const ec2 = await startEc2Endpoint();
    try {
        const id = "i-0123456789abcdef0";
        ec2.addInstance({ id, state: "running" });
        const env = clientEnv("http://127.0.0.1:9", { AWS_ENDPOINT_URL_EC2: ec2.url });
        const direct = sshd.sshArgs("root", "true");
        const proxied = sshd.sshArgs("root", "true", [
            "-o",
            `ProxyCommand=${proxyCommand(["--instance-id", id, "--region", "eu-west-1", "--port", String(sshd.port)])}`,
        ]);
        const directTimes: number[] = [];
        const proxiedTimes: number[] = [];
        for (let i = 0; i < sshRuns; i++) {
            for (const [args, into] of [
                [direct, directTimes],
                [proxied, proxiedTimes],
            ] as const) {
                const t0 = process.hrtime.bigint();
                const r = await run("ssh", args, { env });
                if (r.code !== 0) throw new Error(`ssh: exit ${r.code}: ${r.stderr}`);
                into.push(Number(process.hrtime.bigint() - t0) / 1e6);
            }
        }
        figures.push({ what: "ssh root@box true, direct", runs: sshRuns, medianMs: median(directTimes), minMs: Math.min(...directTimes) });
        figures.push({
            what: "ssh root@box true, via idle-stop proxy (running box)",
            runs: sshRuns,
            medianMs: median(proxiedTimes),
            minMs: Math.min(...proxiedTimes),
        });
    } finally {
        await ec2.close();
        await sshd.stop();
    }

    const table = [
        "| what | runs | median ms | min ms |",
        "|---|---|---|---|",
        ...figures.map((f) => `| ${f.what} | ${f.runs} | ${f.medianMs.toFixed(0)} | ${f.minMs.toFixed(0)} |`),
    ].join("\n");
    const byWhat = (prefix: string) => figures.find((f) => f.what.startsWith(prefix))!;
    const added = byWhat("ssh root@box true, via").medianMs - byWhat("ssh root@box true, direct").medianMs;
    const text = `# Laptop command: cold start and proxy latency

Measured by \`npm run bench:laptop\` (bench/laptop.ts) on ${cpus().length} cores (${cpus()[0]?.model ?? "?"}),
Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}. Local EC2 endpoint and sshd on 127.0.0.1: the figures are the
command's own cost; a real DescribeInstances adds one AWS round trip (typically 50-200 ms).

${table}

Added latency of the proxy on a running box (median difference): ${added.toFixed(0)} ms.
`;
    writeFileSync(join(repoRoot, "bench", "LAPTOP.md"), text);
    process.stdout.write(text);
}

main().then(
    () => process.exit(0),
    (err: unknown) => {
        process.stderr.write(`bench:laptop: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
    },
);
