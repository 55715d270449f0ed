/**
 * The dashboard's "hours running per day" widgets (docs/reference/configuration.md#the-dashboard):
 * one per instance and a fleet total, from the agent's own datapoints, so what stopping saves shows
 * without the laptop command. The agent takes a sample every sampleSeconds while the box runs, and
 * CloudWatch's SampleCount adds the samples up, so a day's SampleCount x sampleSeconds / 3600 is
 * the hours it ran that day (docs/reference/laptop.md#savings reads the same count).
 */
import { programAgentDefaults } from "../common/agent-config";
import { INSTANCE_ID_DIMENSION } from "../common/metric";
import type { DashboardInstance, Widget } from "./fleet-dashboard";

const DAY_SECONDS = 86400;
const TOTAL_HEIGHT = 6;
const BOX_WIDTH = 8;
const BOX_HEIGHT = 5;

type MetricLine = Array<string | Record<string, unknown>>;

/** The hidden daily SampleCount of one instance's metric (id `s<index>`) and the visible hours expression over it (id `h<index>`). */
function hoursLines(instance: DashboardInstance, index: number, label: string): MetricLine[] {
    const sampleSeconds = instance.sampleSeconds ?? programAgentDefaults.sampleSeconds;
    return [
        [
            instance.namespace,
            instance.metricName,
            INSTANCE_ID_DIMENSION,
            instance.instanceId,
            { id: `s${index}`, stat: "SampleCount", period: DAY_SECONDS, visible: false },
        ],
        [{ expression: `s${index}*${sampleSeconds}/3600`, label, id: `h${index}` }],
    ];
}

function hoursProperties(title: string, region: string, metrics: MetricLine[], stacked: boolean): Record<string, unknown> {
    return {
        title,
        region,
        view: "timeSeries",
        stacked,
        period: DAY_SECONDS,
        metrics,
        yAxis: { left: { min: 0, label: "hours", showUnits: false } },
    };
}

/**
 * A fleet total per region (metric math stays within one region; a one-region fleet has one) the
 * full width, then one widget per instance, three a row, starting at `top`.
 */
export function hoursWidgets(instances: DashboardInstance[], dashboardRegion: string, top: number): Widget[] {
    const regionOf = (i: DashboardInstance) => i.region ?? dashboardRegion;
    const regions = [...new Set(instances.map(regionOf))];
    const totals: Widget[] = regions.map((region, r) => {
        const inRegion = instances.filter((i) => regionOf(i) === region);
        const lines = inRegion.flatMap((i, index) => hoursLines(i, index, i.name));
        const sum = inRegion.map((_, index) => `h${index}`).join(",");
        lines.push([{ expression: `SUM([${sum}])`, label: "fleet total", id: "total" }]);
        const where = regions.length > 1 ? ` in ${region}` : "";
        return {
            type: "metric",
            x: 0,
            y: top + r * TOTAL_HEIGHT,
            width: 24,
            height: TOTAL_HEIGHT,
            properties: hoursProperties(`Hours running per day, fleet total${where} (24 minus this is what stopping saved)`, region, lines, false),
        };
    });
    const boxesTop = top + regions.length * TOTAL_HEIGHT;
    const perBox: Widget[] = instances.map((instance, index) => ({
        type: "metric",
        x: (index % 3) * BOX_WIDTH,
        y: boxesTop + Math.floor(index / 3) * BOX_HEIGHT,
        width: BOX_WIDTH,
        height: BOX_HEIGHT,
        properties: hoursProperties(`Hours ${instance.name} ran per day`, regionOf(instance), hoursLines(instance, 0, "hours running"), false),
    }));
    return [...totals, ...perBox];
}
