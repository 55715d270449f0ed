// Bench variant (not shipped): the status file rewritten after every sample, as the agent did
// before agent/src/daemon/status-writer.ts.
import { StatusFile, writeStatus } from "../../agent/src/daemon/status-file";

export function heartbeatSeconds(sampleSeconds: number): number {
    return sampleSeconds;
}

export class StatusWriter {
    constructor(private readonly stateDir: string) {}

    write(st: StatusFile): boolean {
        writeStatus(this.stateDir, st);
        return true;
    }
}
