// Bench variant (not shipped): no memory of non-sshd pids; every sample reads every process's comm,
// as the agent did before agent/src/system/known-pids.ts.
export class KnownPids {
    startScan(): void {}
    skip(): boolean {
        return false;
    }
    identity(): { ino: number; ctimeMs: number } | null {
        return { ino: 0, ctimeMs: 0 };
    }
    rememberOther(): void {}
    endScan(): void {}
}
