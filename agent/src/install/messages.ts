// The installer's voice on stderr ("idle-stop install: ..."), and its failure type.
import { RuntimeError } from "../../../common/errors";

/** A step failed: printed as "idle-stop install: error: MESSAGE", exit code 1. */
export class InstallError extends RuntimeError {}

export function say(message: string): void {
    process.stderr.write(`idle-stop install: ${message}\n`);
}

export function fail(message: string): never {
    throw new InstallError(message);
}
