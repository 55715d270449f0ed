/** Bad usage or bad config: exit code 2. */
export class UsageError extends Error {
    readonly exitCode = 2;
}

/** A runtime failure: exit code 1. */
export class RuntimeError extends Error {
    readonly exitCode = 1;
}

export function errorMessage(e: unknown): string {
    if (e instanceof Error) return e.message;
    return String(e);
}

/** Node's errno-style error code, if any. */
export function errnoCode(e: unknown): string | undefined {
    if (typeof e === "object" && e !== null && "code" in e) {
        const c = e.code;
        return typeof c === "string" ? c : undefined;
    }
    return undefined;
}
