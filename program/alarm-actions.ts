// The stack's alarm-action functions: one per region that has a box with action hibernate (docs/reference/alarm-action.md).
import * as aws from "@pulumi/aws";
import { AlarmActionFunction, IdleStop, IdleStopArgs } from "../components/idle-stop";

interface Entry {
    readonly region?: string;
    readonly args: IdleStopArgs;
}

/** The functions by the provider of their region (`undefined`: the stack's own region). */
type Functions = ReadonlyMap<aws.Provider | undefined, AlarmActionFunction>;
type Providers = ReadonlyMap<string | undefined, aws.Provider | undefined>;

/**
 * A function for each region where an entry hibernates; none at all when no entry does, so a stop
 * or terminate stack gets no new resource. Keyed by provider, so an entry naming the stack's own
 * region shares the function of the entries without one; named after the region, so adding a box
 * elsewhere keeps it.
 */
export function alarmActionFunctions(entries: readonly Entry[], providers: Providers): Functions {
    const functions = new Map<aws.Provider | undefined, AlarmActionFunction>();
    for (const { region, args } of entries) {
        const provider = providers.get(region);
        if (args.action !== "hibernate" || functions.has(provider)) continue;
        const name = provider === undefined ? "idle-stop-alarm-action" : `idle-stop-alarm-action-${region}`;
        functions.set(provider, new AlarmActionFunction(name, { tags: args.tags }, { provider }));
    }
    return functions;
}

/** Hands each function the instances of its region that hibernate, once every IdleStop exists. */
export function watchHibernatingInstances(
    functions: Functions,
    providers: Providers,
    entries: readonly Entry[],
    watchers: readonly IdleStop[],
): void {
    for (const [provider, fn] of functions) {
        const watched = watchers.filter((w, i) => providers.get(entries[i].region) === provider && w.instanceArn !== undefined);
        fn.watch(watched.map((w) => ({ instanceId: w.instanceId, instanceArn: w.instanceArn! })));
    }
}
