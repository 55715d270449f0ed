// Where datapoints go: the MetricSink interface the outbox delivers to, and how a sink's errors
// are classified (retry later, or drop a rejected datapoint). The CloudWatch sink: cloudwatch.ts.
import { Datapoint } from "./datapoint";

export interface MetricSink {
    putMetricData(namespace: string, points: Datapoint[]): Promise<void>;
    close(): void;
}

/** Error codes meaning "this request's content is wrong", not "try again later". */
const REJECTED = new Set([
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameterCombination",
    "InvalidParameterCombinationException",
    "MissingParameter",
    "MissingRequiredParameter",
    "MissingRequiredParameterException",
    "ValidationError",
    "SerializationException",
]);

export interface ErrorInfo {
    code: string;
    status: number | undefined;
    message: string;
    /** The request itself is invalid: retrying the same content will not help. */
    rejected: boolean;
    throttled: boolean;
}

export function classifyError(e: unknown): ErrorInfo {
    const o = (typeof e === "object" && e !== null ? e : {}) as {
        name?: unknown;
        code?: unknown;
        message?: unknown;
        $metadata?: { httpStatusCode?: unknown };
    };
    const code = typeof o.name === "string" && o.name !== "Error" ? o.name : typeof o.code === "string" ? o.code : "Error";
    const status = typeof o.$metadata?.httpStatusCode === "number" ? o.$metadata.httpStatusCode : undefined;
    const message = typeof o.message === "string" ? o.message : String(e);
    const throttled = /Throttl|TooManyRequests|RequestLimitExceeded/i.test(code) || status === 429;
    const rejected = !throttled && ((REJECTED.has(code) && (status === undefined || status === 400)) || status === 413);
    return { code, status, message: message.slice(0, 300), rejected, throttled };
}
