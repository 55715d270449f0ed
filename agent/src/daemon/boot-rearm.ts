// Re-arming the idle alarm without any permission on it (docs/architecture.md, docs/reference/metric.md).
//
// CloudWatch runs an alarm's action only on a change INTO ALARM, so an alarm left in ALARM by the
// stop that ended the last boot would never stop the box again. The agent may not call
// SetAlarmState (any local user can use an instance profile's credentials, and ALARM would stop
// the box at once); it re-arms by publishing instead: after a fresh boot, or at the agent's first
// start, the first period carries one extra sample of 1 ("in use"), so its Maximum is >= 1 and
// the alarm (which needs idleMinutes breaching periods in a row) goes back to OK.
//
// The boot is recognised by the kernel's boot_id, recorded in <stateDir>/boot-id once the
// re-arming datapoint has been delivered (not before: a crash or an outage in between re-arms
// again at the next start, which costs at most one busy minute).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../system/fs-util";

const BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id";
const RECORD = "boot-id";

export type RearmState = "pending" | "done" | "not-needed";
export type RearmReason = "first-start" | "fresh-boot";

function readTrimmed(path: string): string | null {
    try {
        const t = readFileSync(path, "utf8").trim();
        return t === "" ? null : t;
    } catch {
        return null;
    }
}

/** This boot's identity: the kernel's random boot_id, else the boot time from /proc/stat. */
function currentBootId(bootIdPath = BOOT_ID_PATH): string {
    const id = readTrimmed(bootIdPath);
    if (id !== null) return id;
    const btime = /^btime\s+(\d+)/m.exec(readTrimmed("/proc/stat") ?? "");
    return btime ? `btime-${btime[1]}` : "unknown";
}

export class BootRearm {
    state: RearmState;
    rearmedAt: number | null = null;
    private extraAdded = false;
    private pushed = false;

    private constructor(
        private readonly stateDir: string,
        private readonly bootId: string,
        readonly reason: RearmReason | null,
    ) {
        this.state = reason === null ? "not-needed" : "pending";
    }

    static check(stateDir: string, bootIdPath = BOOT_ID_PATH): BootRearm {
        const bootId = currentBootId(bootIdPath);
        const recorded = readTrimmed(join(stateDir, RECORD));
        const reason: RearmReason | null = recorded === null ? "first-start" : recorded !== bootId ? "fresh-boot" : null;
        return new BootRearm(stateDir, bootId, reason);
    }

    /** True once, at the first sample of a run that must re-arm: add one sample of 1 to its period. */
    takeExtraSample(): boolean {
        if (this.state !== "pending" || this.extraAdded) return false;
        this.extraAdded = true;
        return true;
    }

    /** The period holding the extra sample has left the aggregator (it is in the outbox now). */
    periodClosed(): void {
        if (this.extraAdded) this.pushed = true;
    }

    /**
     * The outbox has been delivered completely. Returns true when this completed the re-arm
     * (the caller logs it); the boot is recorded so later starts of this boot do not re-arm.
     */
    delivered(now: number): boolean {
        if (this.state !== "pending" || !this.pushed) return false;
        this.state = "done";
        this.rearmedAt = now;
        try {
            writeFileAtomic(join(this.stateDir, RECORD), `${this.bootId}\n`, 0o644);
        } catch {
            /* not recorded (disk full?): the next start re-arms once more, which is harmless */
        }
        return true;
    }
}
