// Signal: keep-awake holds (holds.ts), one active session each while they last. The daemon also
// removes expired hold files (cleanup); `status` only reads.
import { Hold, removeExpired, scanHolds } from "./holds";
import { Signal, SignalInput } from "./signal";
import { log } from "../system/log";

/** Expired holds already logged (a daemon that is not root cannot remove others' files). */
const reported = new Set<string>();

export class Holds implements Signal<Hold[]> {
    readonly name = "holds";

    constructor(
        private readonly holdsDir: string,
        private readonly cleanup: boolean,
    ) {}

    sample({ now }: SignalInput): { active: number; detail: Hold[] } {
        const h = scanHolds(this.holdsDir, now);
        if (this.cleanup && h.expired.length > 0) this.removeExpired(h.expired);
        return { active: h.active.length, detail: h.active };
    }

    private removeExpired(expired: Hold[]): void {
        removeExpired(this.holdsDir, expired);
        // A daemon that is not root cannot remove other users' files (sticky dir): they stay,
        // are ignored, and are logged once.
        for (const x of expired) {
            if (reported.has(x.id)) continue;
            reported.add(x.id);
            log("info", "hold_expired", { id: x.id, user: x.user, reason: x.reason ?? undefined });
        }
        if (reported.size > 10000) reported.clear();
    }
}
