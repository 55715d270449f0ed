// The dashboard's hours-running widgets as components/hours-widgets.ts builds them (a pure function;
// the program's dashboard carries them: tests/components/fleet-regions.test.ts).
import { strict as assert } from "assert";
import type { DashboardInstance, Widget } from "../../components/fleet-dashboard";
import { hoursWidgets } from "../../components/hours-widgets";

const box = (name: string, instanceId: string, extra: Partial<DashboardInstance> = {}): DashboardInstance => ({
    name,
    instanceId,
    idleMinutes: 30,
    namespace: "IdleStop",
    metricName: "ActiveSessions",
    alarmArns: [],
    ...extra,
});
const home = box("home", "i-0aaaaaaaaaaaaaaa1");
const dublin = box("dublin", "i-0bbbbbbbbbbbbbbb2", { region: "eu-west-1", sampleSeconds: 5 });
const dublin2 = box("dublin2", "i-0ddddddddddddddd4", { region: "eu-west-1", namespace: "Team" });

describe("dashboard: hours running per day", () => {
    const widgets = hoursWidgets([home, dublin, dublin2], "us-east-1", 27);
    const title = (w: Widget) => String(w.properties.title);

    it("draws each box's daily SampleCount x its sampleSeconds / 3600, in the box's region", () => {
        const perBox = widgets.filter((w) => /^Hours \S+ ran per day$/.test(title(w)));
        assert.deepEqual(
            perBox.map((w) => [title(w), w.properties.region, w.properties.period]),
            [
                ["Hours home ran per day", "us-east-1", 86400],
                ["Hours dublin ran per day", "eu-west-1", 86400],
                ["Hours dublin2 ran per day", "eu-west-1", 86400],
            ],
        );
        for (const [widget, entry, seconds] of [
            [perBox[0], home, 10],
            [perBox[1], dublin, 5],
            [perBox[2], dublin2, 10],
        ] as const) {
            assert.deepEqual(widget.properties.metrics, [
                [entry.namespace, "ActiveSessions", "InstanceId", entry.instanceId, { id: "s0", stat: "SampleCount", period: 86400, visible: false }],
                [{ expression: `s0*${seconds}/3600`, label: "hours running", id: "h0" }],
            ]);
        }
    });

    it("adds up the fleet per region (metric math stays in one region)", () => {
        const totals = widgets.filter((w) => title(w).startsWith("Hours running per day, fleet total"));
        assert.deepEqual(
            totals.map((w) => [title(w), w.properties.region]),
            [
                ["Hours running per day, fleet total in us-east-1 (24 minus this is what stopping saved)", "us-east-1"],
                ["Hours running per day, fleet total in eu-west-1 (24 minus this is what stopping saved)", "eu-west-1"],
            ],
        );
        const lines = totals[1].properties.metrics as unknown[][];
        assert.deepEqual(lines.at(-1), [{ expression: "SUM([h0,h1])", label: "fleet total", id: "total" }]);
        assert.deepEqual(
            lines.filter((l) => typeof l[0] === "string").map((l) => l[3]),
            [dublin.instanceId, dublin2.instanceId],
        );
        assert.deepEqual(lines[1], [{ expression: "s0*5/3600", label: "dublin", id: "h0" }]);
    });

    it("lays them out from the given row down, inside the 24-column grid, none overlapping", () => {
        for (const w of widgets) assert.ok(w.y >= 27 && w.x >= 0 && w.x + w.width <= 24, JSON.stringify(w));
        for (const [i, a] of widgets.entries())
            for (const b of widgets.slice(i + 1)) {
                const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
                assert.ok(apart, `${title(a)} overlaps ${title(b)}`);
            }
    });
});
