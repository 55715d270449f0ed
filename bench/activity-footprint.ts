// Daemon CPU and RSS before and after use detection: two agent bundles (BEFORE and AFTER, paths)
// run side by side at the defaults (sampleSeconds 10, publishSeconds 60) for BENCH_MINUTES
// against the local CloudWatch endpoint, on the real /proc and /dev, with one terminal session
// and one no-terminal session (so the after-agent runs `ss` once a minute) on a private sshd.
// CPU = utime+stime+cutime+cstime (children incl.: ss) from /proc/PID/stat; RSS = VmHWM, VmRSS.
//   node -r ts-node/register/transpile-only bench/activity-footprint.ts BEFORE.js AFTER.js
import { readFileSync } from "node:fs";
import { Daemon, writeConfig } from "../tests/support/agent";
import { clientEnv, startCloudWatchEndpoint } from "../tests/support/cloudwatch-endpoint";
import { sleep, startSshd } from "../tests/support/sshd";

function cpuTicks(pid: number): number {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8")
        .slice(readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2)
        .split(" ");
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}
function kb(pid: number, key: string): number {
    return Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

async function main(): Promise<void> {
    const [before, after] = process.argv.slice(2);
    const minutes = Number(process.env.BENCH_MINUTES ?? 5);
    const cw = await startCloudWatchEndpoint();
    const sshd = await startSshd();
    const u = sshd.addUser();
    const pty = await sshd.openSession(u, { pty: true });
    const notty = await sshd.openSession(u, { pty: false });
    const daemons = [before, after].map((script, i) => {
        // the before-agent knows no sshPorts key (and rejects unknown keys)
        const cfg = writeConfig({ instanceId: "i-0123456789abcdef0", region: "us-east-1", ...(i === 1 ? { sshPorts: [sshd.port] } : {}) });
        return new Daemon(cfg.path, clientEnv(cw.url), script);
    });
    try {
        await sleep(15000); // past start-up (SDK load, first publish)
        const start = daemons.map((d) => cpuTicks(d.child.pid as number));
        await sleep(minutes * 60000);
        const rows = daemons.map((d, i) => {
            const pid = d.child.pid as number;
            const ticks = cpuTicks(pid) - start[i];
            return {
                agent: i === 0 ? "before" : "after",
                cpuSeconds: ticks / 100,
                cpuSecondsPerHour: +((ticks / 100) * (60 / minutes)).toFixed(2),
                vmHwmMiB: +(kb(pid, "VmHWM") / 1024).toFixed(1),
                vmRssMiB: +(kb(pid, "VmRSS") / 1024).toFixed(1),
            };
        });
        process.stdout.write(`${JSON.stringify({ minutes, rows, publishes: daemons.map((d) => d.events("published").length) })}\n`);
    } finally {
        for (const d of daemons) await d.stop();
        await pty.close();
        await notty.close();
        await sshd.stop();
        await cw.close();
    }
}
main().then(
    () => process.exit(0),
    (e: unknown) => {
        process.stderr.write(`${String(e)}\n`);
        process.exit(1);
    },
);
