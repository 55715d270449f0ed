// Cost of one sample with use detection at 500 sessions (target: < 50 ms, no child process per
// sample): the agent's own takeSample + ActivityTracker on a synthetic /proc tree
// (tests/support/fakeproc.ts) of 500 sessions, half with a terminal, half without, and a synthetic
// /dev (500 session terminals + 50 other terminals; stat works the same on plain files). Also the
// once-per-publish-period traffic step: parsing `ss` output for 500 connections and crediting them.
//   node -r ts-node/register/transpile-only bench/activity-scale.ts      (BENCH_ACTIVITY_SESSIONS, default 500)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ActivityTracker } from "../agent/src/signals/activity-tracker";
import { parseSs } from "../agent/src/signals/tcp-traffic";
import { parseConfig } from "../agent/src/config";
import { activitySettings, takeSample } from "../agent/src/signals/sample";
import { listSessions } from "../agent/src/signals/sessions";
import { tempDir } from "../tests/support/agent";
import { FakeProc } from "../tests/support/fakeproc";

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

const n = Number(process.env.BENCH_ACTIVITY_SESSIONS ?? 500);
const samples = 30;
const fake = new FakeProc(Math.floor(Date.now() / 1000) - 3600).withListener();
const dev = tempDir("idle-stop-bench-dev-");
mkdirSync(join(dev, "pts"));
for (let i = 0; i < n; i++) {
    const pid = 1000 + 2 * i;
    const tty = i % 2 === 0 ? `pts/${i}` : null;
    if (tty) writeFileSync(join(dev, tty), "");
    fake.addSession({ pid, user: `u${i}`, uid: 1000 + i, tty, starttime: 100 * i });
}
for (let i = 0; i < 50; i++) writeFileSync(join(dev, "pts", String(n + i)), "");
const c = parseConfig({ procRoot: fake.root, devRoot: dev, holdsDir: tempDir(), stateDir: tempDir() }, "bench");
const tracker = new ActivityTracker(activitySettings(c), { measureTraffic: false, startedAt: Date.now() });
const times: number[] = [];
let last = takeSample(c, false, Date.now(), tracker);
for (let k = 0; k < samples; k++) {
    const t = process.hrtime.bigint();
    last = takeSample(c, false, Date.now(), tracker);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
// The traffic step: ss output for n connections, parsed, credited (once per publish period).
const ssText = Array.from(
    { length: n },
    (_, i) => `0 0 10.0.0.1:22 198.51.100.${i % 250}:${40000 + i}\n\t cubic bytes_sent:1 bytes_acked:1 bytes_received:${1000 + i} lastrcv:5\n`,
).join("");
const credits: number[] = [];
for (let k = 0; k < samples; k++) {
    const t = process.hrtime.bigint();
    tracker.credit({ at: Date.now() + k * 60000, sockets: parseSs(ssText) });
    credits.push(Number(process.hrtime.bigint() - t) / 1e6);
}
process.stdout.write(
    `${JSON.stringify({
        sessions: n,
        connected: last.use.connected,
        samples,
        sampleMedianMs: +median(times).toFixed(2),
        sampleMaxMs: +Math.max(...times).toFixed(2),
        trafficStepMedianMs: +median(credits).toFixed(2),
    })}\n`,
);
// Split: counting alone (signals/sessions.ts) vs the use judgement on top.
{
    const count: number[] = [];
    const judge: number[] = [];
    for (let k = 0; k < samples; k++) {
        let t = process.hrtime.bigint();
        const s = listSessions(fake.root);
        count.push(Number(process.hrtime.bigint() - t) / 1e6);
        t = process.hrtime.bigint();
        tracker.assess(s, Date.now());
        judge.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    process.stdout.write(`${JSON.stringify({ countMedianMs: +median(count).toFixed(2), judgeMedianMs: +median(judge).toFixed(2) })}\n`);
}
