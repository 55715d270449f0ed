// The stack's alarm-action functions: one per region that has a box with action hibernate (docs/reference/alarm-action.md).
import * as aws from "@pulumi/aws";
import { AlarmActionFunction, IdleStop, IdleStopArgs } from "../components/idle-stop";

interface Entry {
    readonly region?: string;
    readonly args: IdleStopArgs;
}

/**
 * The function of each region (`undefined`: the stack's own) where an entry hibernates; none at all
 * when no entry does, so a stop or terminate stack gets no new resource. Named after the region, so
 * adding a box to a region keeps its function.
 */
export function alarmActionFunctions(
    entries: readonly Entry[],
    providers: ReadonlyMap<string | undefined, aws.Provider | undefined>,
): Map<string | undefined, AlarmActionFunction> {
    const functions = new Map<string | undefined, AlarmActionFunction>();
    for (const { region, args } of entries) {
        if (args.action !== "hibernate" || functions.has(region)) continue;
        const provider = providers.get(region);
        functions.set(
            region,
            new AlarmActionFunction(`idle-stop-alarm-action${region === undefined ? "" : `-${region}`}`, { tags: args.tags }, { provider }),
        );
    }
    return functions;
}

/** Hands each function the instances of its region that hibernate, once every IdleStop exists. */
export function watchHibernatingInstances(
    functions: ReadonlyMap<string | undefined, AlarmActionFunction>,
    entries: readonly Entry[],
    watchers: readonly IdleStop[],
): void {
    for (const [region, fn] of functions) {
        const watched = watchers.filter((w, i) => entries[i].region === region && w.instanceArn !== undefined);
        fn.watch(watched.map((w) => ({ instanceId: w.instanceId, instanceArn: w.instanceArn! })));
    }
}
