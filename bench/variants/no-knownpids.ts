// Bench variant (not shipped): no memory of non-sshd pids; every sample reads every process's comm,
// as the agent did before agent/src/system/known-pids.ts.
export class KnownPids {
    startScan(): void {
        // nothing remembered, so nothing to start
    }
    skip(): boolean {
        return false;
    }
    identity(): { ino: number; ctimeMs: number } | null {
        return { ino: 0, ctimeMs: 0 };
    }
    rememberOther(): void {
        // forgets on purpose: the variant measures reading every comm
    }
    endScan(): void {
        // nothing remembered, so nothing to end
    }
}
