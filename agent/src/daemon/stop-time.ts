/**
 * When the idle alarm would stop the instance, for an idle stretch that began at idleSince: it
 * needs idleMinutes whole 60 s periods with Maximum <= 0, and the first whole idle period starts at
 * the next minute boundary.
 */
export function expectedStopAt(idleSince: number, idleMinutes: number): number {
    return Math.ceil(idleSince / 60000) * 60000 + idleMinutes * 60000;
}
