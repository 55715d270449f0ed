// common/schedule.ts: the stopAt/startAt grammar, the EventBridge Scheduler cron expression, and the next occurrence across daylight saving changes.
import { strict as assert } from "assert";
import {
    formatSchedule,
    isTimeZone,
    nextOccurrence,
    parseSchedule,
    parseScheduleTag,
    Schedule,
    scheduleCron,
    scheduleTagValue,
} from "../../common/schedule";

function parsed(text: string): Schedule {
    const s = parseSchedule(text);
    assert.ok(s !== undefined, `${text} parses`);
    return s;
}

const iso = (ms: number) => new Date(ms).toISOString();
const next = (text: string, zone: string, after: string) => iso(nextOccurrence(parsed(text), zone, Date.parse(after)));

describe("schedules (common/schedule.ts)", () => {
    it("parses a time alone (every day), a day range, a day list, any case, a wrapping range", () => {
        assert.deepEqual(parseSchedule("20:00"), { days: [0, 1, 2, 3, 4, 5, 6], hour: 20, minute: 0 });
        assert.deepEqual(parseSchedule("Mon-Fri 20:00"), { days: [1, 2, 3, 4, 5], hour: 20, minute: 0 });
        assert.deepEqual(parseSchedule("mon,Wed,FRI 8:30"), { days: [1, 3, 5], hour: 8, minute: 30 });
        assert.deepEqual(parseSchedule("Fri-Mon 07:05"), { days: [0, 1, 5, 6], hour: 7, minute: 5 });
        assert.deepEqual(parseSchedule("Sat,Mon-Tue 00:00"), { days: [1, 2, 6], hour: 0, minute: 0 });
        assert.deepEqual(parseSchedule(" Sun  23:59 "), { days: [0], hour: 23, minute: 59 });
    });

    for (const bad of [
        "",
        "24:00",
        "20:60",
        "8",
        "20",
        "8:5",
        "Mon-Fri",
        "Mo 20:00",
        "Monday 20:00",
        "Mon-Fri-Sat 20:00",
        "Mon,,Fri 20:00",
        "20:00 Mon",
        "Mon - Fri 20:00",
        "-Fri 20:00",
        "Mon+Fri 20:00",
        // Whitespace other than spaces would reach status lines and tags as is.
        "Mon\r20:00",
        "Mon\n20:00",
        "Mon\t20:00",
        "Mon\u2028 20:00",
    ]) {
        it(`refuses ${JSON.stringify(bad)}`, () => {
            assert.equal(parseSchedule(bad), undefined);
        });
    }

    it("turns a schedule into EventBridge Scheduler's cron: ? for the day of the month when days are given, names SUN..SAT, ranges where consecutive", () => {
        assert.equal(scheduleCron(parsed("Mon-Fri 08:30")), "cron(30 8 ? * MON-FRI *)");
        assert.equal(scheduleCron(parsed("20:00")), "cron(0 20 * * ? *)");
        assert.equal(scheduleCron(parsed("Mon,Wed,Fri 08:30")), "cron(30 8 ? * MON,WED,FRI *)");
        assert.equal(scheduleCron(parsed("Fri-Mon 7:00")), "cron(0 7 ? * SUN-MON,FRI-SAT *)");
        assert.equal(scheduleCron(parsed("Sun-Sat 06:15")), "cron(15 6 * * ? *)");
    });

    it("formats canonically and round-trips through a CloudWatch tag value (no commas there)", () => {
        assert.equal(formatSchedule(parsed("fri,mon-wed 8:30")), "Mon-Wed,Fri 08:30");
        assert.equal(scheduleTagValue(parsed("Mon,Wed,Fri 08:30")), "Mon+Wed+Fri 08:30");
        assert.deepEqual(parseScheduleTag("Mon+Wed+Fri 08:30"), parsed("Mon,Wed,Fri 08:30"));
        assert.deepEqual(parseScheduleTag(scheduleTagValue(parsed("20:00"))), parsed("20:00"));
        assert.equal(parseScheduleTag("Mon,Wed 08:30"), undefined);
    });

    it("knows IANA time zones and refuses anything else", () => {
        for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"]) assert.equal(isTimeZone(zone), true, zone);
        for (const zone of ["", "Mars/Olympus", "Europe/Berlin; reboot", "CEST+2", "../etc/passwd"]) assert.equal(isTimeZone(zone), false, zone);
        // Spelled as in the tz database: Node would take any case, EventBridge Scheduler does not.
        for (const zone of ["europe/berlin", "utc", "AMERICA/NEW_YORK"]) assert.equal(isTimeZone(zone), false, zone);
        assert.equal(isTimeZone("US/Pacific"), true, "an alias of the tz database is a name");
    });

    it("next occurrence: strictly after the instant, on the listed days only", () => {
        // Thursday 2026-12-03.
        assert.equal(next("20:00", "UTC", "2026-12-03T14:00:00Z"), "2026-12-03T20:00:00.000Z");
        assert.equal(next("20:00", "UTC", "2026-12-03T20:00:00Z"), "2026-12-04T20:00:00.000Z");
        // Friday evening after the stop: Monday.
        assert.equal(next("Mon-Fri 08:30", "UTC", "2026-12-04T09:00:00Z"), "2026-12-07T08:30:00.000Z");
        assert.equal(next("Fri-Mon 07:00", "UTC", "2026-12-03T14:00:00Z"), "2026-12-04T07:00:00.000Z");
        assert.equal(next("Wed 07:00", "UTC", "2026-12-03T14:00:00Z"), "2026-12-09T07:00:00.000Z");
    });

    it("next occurrence in a zone: winter and summer offsets, and a local day that differs from UTC's", () => {
        assert.equal(next("Mon-Fri 20:00", "Europe/Berlin", "2026-12-03T14:00:00Z"), "2026-12-03T19:00:00.000Z");
        assert.equal(next("Mon-Fri 20:00", "Europe/Berlin", "2026-07-01T12:00:00Z"), "2026-07-01T18:00:00.000Z");
        // 23:30 UTC on Friday is already Saturday in Berlin: the next weekday 08:30 is Monday's.
        assert.equal(next("Mon-Fri 08:30", "Europe/Berlin", "2026-12-04T23:30:00Z"), "2026-12-07T07:30:00.000Z");
        // Sunday 20:00 in New York is Monday 01:00 UTC.
        assert.equal(next("Sun 20:00", "America/New_York", "2026-12-06T12:00:00Z"), "2026-12-07T01:00:00.000Z");
    });

    it("across a spring-forward change (Berlin, 2026-03-29 02:00 -> 03:00): a time in the gap is skipped that day, others shift offset", () => {
        assert.equal(next("02:30", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-30T00:30:00.000Z");
        assert.equal(next("08:00", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T06:00:00.000Z");
        assert.equal(next("01:59", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T00:59:00.000Z");
        assert.equal(next("03:00", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
    });

    it("across a fall-back change (Berlin, 2026-10-25 03:00 -> 02:00): a repeated time fires once, the first time", () => {
        assert.equal(next("02:30", "Europe/Berlin", "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z");
        // Between the two 02:30s: the next is the following day's.
        assert.equal(next("02:30", "Europe/Berlin", "2026-10-25T01:00:00Z"), "2026-10-26T01:30:00.000Z");
        assert.equal(next("20:00", "Europe/Berlin", "2026-10-25T12:00:00Z"), "2026-10-25T19:00:00.000Z");
    });
});
