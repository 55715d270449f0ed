// The agent's side of stopAt/startAt (agent/src/daemon/scheduled-stop.ts): agent.json's keys, the terminal warning before a scheduled stop (in-process, `wall` replaced), and `status`'s next stop/start.
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { scheduleLines } from "../../agent/src/cli/status";
import { buildStatus } from "../../agent/src/cli/status-report";
import { parseConfig } from "../../agent/src/config";
import { nextScheduled, ScheduledStopWarning, scheduledWarningDue, scheduledWarningText } from "../../agent/src/daemon/scheduled-stop";
import { tempDir } from "../support/agent";
import { FakeProc } from "../support/fakeproc";

const minute = 60_000;
const at = (iso: string) => Date.parse(iso);
const berlin = { stopAt: "Mon-Fri 20:00", startAt: "Mon-Fri 08:30", timezone: "Europe/Berlin", warnMinutes: 5 };

describe("scheduled stop and start on the box", () => {
    it("agent.json: reads stopAt, startAt and timezone (default UTC); refuses a bad one naming the key and what is allowed", () => {
        const c = parseConfig({ stopAt: "Mon-Fri 20:00", startAt: "8:30" }, "agent.json");
        assert.deepEqual([c.stopAt, c.startAt, c.timezone], ["Mon-Fri 20:00", "8:30", "UTC"]);
        assert.equal(parseConfig({}, "agent.json").stopAt, undefined);
        assert.throws(() => parseConfig({ stopAt: "20h" }, "agent.json"), /"stopAt" is "20h"; allowed: a 24-hour time HH:MM/);
        assert.throws(
            () => parseConfig({ startAt: "Mon-Fri 08:30", timezone: "Berlin" }, "agent.json"),
            /"timezone" is "Berlin"; allowed: an IANA time zone/,
        );
    });

    it("warns once, warnMinutes before the next scheduled stop, whatever the sessions", () => {
        // Thursday 2026-12-03, 20:00 in Berlin is 19:00 UTC.
        const stop = at("2026-12-03T19:00:00Z");
        assert.equal(scheduledWarningDue(berlin, stop - 6 * minute, null), null, "not yet");
        assert.equal(scheduledWarningDue(berlin, stop - 5 * minute, null), stop);
        assert.equal(scheduledWarningDue(berlin, stop - 1 * minute, null), stop);
        assert.equal(scheduledWarningDue(berlin, stop - 1 * minute, stop), null, "already warned about this stop");
        assert.equal(scheduledWarningDue({ ...berlin, warnMinutes: 0 }, stop - minute, null), null, "warnMinutes 0: no warning");
        assert.equal(scheduledWarningDue({ ...berlin, stopAt: undefined }, stop - minute, null), null, "no stopAt");
        // Friday evening's stop is the next one after Thursday's; no stop on Saturday.
        assert.equal(scheduledWarningDue(berlin, at("2026-12-04T18:57:00Z"), stop), at("2026-12-04T19:00:00Z"));
        assert.equal(scheduledWarningDue(berlin, at("2026-12-05T18:57:00Z"), null), null);
    });

    it("the warning says when in the schedule's zone and that nothing delays it; lines fit wall's 79 columns", async () => {
        const stop = at("2026-12-03T19:00:00Z");
        const text = scheduledWarningText(stop, stop - 5 * minute, "Europe/Berlin");
        assert.equal(text, "idle-stop: scheduled stop at 20:00 Europe/Berlin (in 5m).\nSessions and holds do not delay it: save your work.");
        for (const line of scheduledWarningText(stop, stop - 3 * minute, "America/Argentina/ComodRivadavia").split("\n"))
            assert.ok(line.length <= 79, line);

        const sent: string[] = [];
        const results: Array<{ stopAt: number; error?: string }> = [];
        const warning = new ScheduledStopWarning(berlin, async (message) => {
            sent.push(message);
        });
        for (let t = stop - 10 * minute; t < stop + 2 * minute; t += 10_000) warning.check(t, (r) => results.push(r));
        await new Promise((r) => setImmediate(r));
        assert.equal(sent.length, 1, "one warning per scheduled stop, not one per sample");
        assert.match(sent[0], /scheduled stop at 20:00 Europe\/Berlin \(in 5m\)/);
        assert.deepEqual(results, [{ stopAt: stop }]);
        const failing = new ScheduledStopWarning(berlin, async () => {
            throw new Error("wall: not found");
        });
        failing.check(stop - minute, (r) => results.push(r));
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(results[1], { stopAt: stop, error: "wall: not found" });
    });

    it("status: the next scheduled stop and start as ISO times, and a line for each", () => {
        const now = at("2026-12-04T20:00:00Z"); // Friday 21:00 in Berlin, after the stop
        assert.deepEqual(nextScheduled(berlin, now), { stop: at("2026-12-07T19:00:00Z"), start: at("2026-12-07T07:30:00Z") });
        const proc = new FakeProc();
        const stateDir = tempDir();
        const c = parseConfig({ ...berlin, procRoot: proc.root, stateDir, holdsDir: join(stateDir, "holds"), devRoot: stateDir }, "agent.json");
        const r = buildStatus(c, now);
        assert.equal(r.nextScheduledStop, "2026-12-07T19:00:00.000Z");
        assert.equal(r.nextScheduledStart, "2026-12-07T07:30:00.000Z");
        assert.deepEqual([r.config.stopAt, r.config.startAt, r.config.timezone], ["Mon-Fri 20:00", "Mon-Fri 08:30", "Europe/Berlin"]);
        assert.deepEqual(scheduleLines(r, now), [
            "stop at:      Mon-Fri 20:00 Europe/Berlin: next 2026-12-07T19:00:00.000Z (in 2d23h)",
            "start at:     Mon-Fri 08:30 Europe/Berlin: next 2026-12-07T07:30:00.000Z (in 2d11h30m)",
        ]);
        const none = buildStatus(parseConfig({ procRoot: proc.root, stateDir, devRoot: stateDir }, "agent.json"), now);
        assert.deepEqual([none.nextScheduledStop, none.nextScheduledStart], [null, null]);
        assert.deepEqual(scheduleLines(none, now), []);
    });
});
