// Calibration of the client-traffic threshold (sessionTrafficBytesPerMinute): what the server's
// socket receives per minute from real ssh clients (`ssh -N -L` forwards against a private
// loopback sshd) for patterns that are NOT use (ssh keep-alives, VS Code's 13-byte keep-alive every
// 5 s) and patterns that are (light typing-like traffic, 200 B every 2 s). Measured with the
// agent's own reader (agent/src/signals/tcp-traffic.ts: `ss` snapshots, bytes_received deltas).
//   node -r ts-node/register/transpile-only bench/traffic.ts      (as root; BENCH_TRAFFIC_SECONDS, default 180)
import { snapshotTraffic, trafficRates, TrafficSnapshot } from "../agent/src/signals/tcp-traffic";
import { startSshd } from "../tests/support/sshd";
import { forwardedTraffic, ForwardOptions } from "../tests/support/traffic";
import { sleep } from "../tests/support/sshd";

const PATTERNS: Array<{ name: string; opts: ForwardOptions }> = [
    { name: "idle forward, no keep-alive", opts: { serverAliveSeconds: 0, bytes: 0, everyMs: 0 } },
    { name: "ServerAliveInterval 5 only", opts: { serverAliveSeconds: 5, bytes: 0, everyMs: 0 } },
    { name: "VS Code-like: 13 B / 5 s + ServerAliveInterval 5", opts: { serverAliveSeconds: 5, bytes: 13, everyMs: 5000 } },
    { name: "VS Code-like: 13 B / 5 s + ServerAliveInterval 15", opts: { serverAliveSeconds: 15, bytes: 13, everyMs: 5000 } },
    { name: "typing-like: 200 B / 2 s + ServerAliveInterval 5", opts: { serverAliveSeconds: 5, bytes: 200, everyMs: 2000 } },
    { name: "typing-like: 50 B / 2 s + ServerAliveInterval 5", opts: { serverAliveSeconds: 5, bytes: 50, everyMs: 2000 } },
];

async function main(): Promise<void> {
    const seconds = Number(process.env.BENCH_TRAFFIC_SECONDS ?? 180);
    const sshd = await startSshd();
    const user = sshd.addUser();
    const ids: string[] = [];
    const lanes = [];
    try {
        for (const p of PATTERNS) {
            const before = new Set((await snapshotTraffic([sshd.port])).sockets.map((s) => s.id));
            const lane = await forwardedTraffic(sshd, user, p.opts);
            lanes.push(lane);
            await sleep(1000);
            const added = (await snapshotTraffic([sshd.port])).sockets.filter((s) => !before.has(s.id));
            if (added.length !== 1) throw new Error(`expected one new connection for "${p.name}", saw ${added.length}`);
            ids.push(added[0].id);
        }
        await sleep(5000); // past the login's own bytes
        const snaps: TrafficSnapshot[] = [await snapshotTraffic([sshd.port])];
        for (let t = 0; t < seconds; t += 60) {
            await sleep(Math.min(60, seconds - t) * 1000);
            snaps.push(await snapshotTraffic([sshd.port]));
        }
        const rows = PATTERNS.map((p, i) => {
            const perMinute = snaps.slice(1).map((s, k) => trafficRates(snaps[k], s).find((r) => r.id === ids[i])?.bytesPerMinute ?? NaN);
            const whole = trafficRates(snaps[0], snaps[snaps.length - 1]).find((r) => r.id === ids[i])?.bytesPerMinute ?? NaN;
            return { pattern: p.name, bytesPerMinute: Math.round(whole), perMinuteWindows: perMinute.map(Math.round) };
        });
        process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), seconds, rows }, null, 1)}\n`);
        for (const r of rows)
            process.stdout.write(`| ${r.pattern} | ${r.bytesPerMinute} | ${Math.min(...r.perMinuteWindows)}-${Math.max(...r.perMinuteWindows)} |\n`);
    } finally {
        for (const l of lanes) await l.close();
        await sshd.stop();
    }
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
