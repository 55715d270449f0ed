// AWS JSON 1.0 over HTTP(S), SigV4-signed: what @aws-sdk/client-cloudwatch sends, without the
// client. POST / with X-Amz-Target <prefix>.<Operation>, a JSON body, and errors read the way the
// SDK reads them (x-amzn-query-error for this awsQuery-compatible service, then __type/code).
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";
import * as http from "node:http";
import * as https from "node:https";
import { connectionAgent } from "./connection";
import type { CredentialSource } from "./credentials";
import { NodeSha256 } from "./sha256";

const CONNECT_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 15000;
/** The SDK corrects its clock from the server's Date header when they differ by more than this. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Codes meaning "these credentials are not (or no longer) good": forget them and ask again. */
const CREDENTIAL_ERRORS =
    /^(ExpiredToken|ExpiredTokenException|InvalidClientTokenId|UnrecognizedClientException|InvalidAccessKeyId|InvalidSignatureException|SignatureDoesNotMatch|IncompleteSignature|AuthFailure)$/;

/** An error answer from AWS, shaped like the SDK's service exceptions (name = code, $metadata). */
export class AwsServiceError extends Error {
    readonly $metadata: { httpStatusCode: number; requestId?: string };

    constructor(code: string, message: string, status: number, requestId?: string) {
        super(message);
        this.name = code;
        this.$metadata = { httpStatusCode: status, requestId };
    }
}

interface Answer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** The error code as the SDK's awsJson1_0 protocol derives it. */
export function errorCode(headers: http.IncomingHttpHeaders, body: Record<string, unknown>): string {
    const query = headers["x-amzn-query-error"];
    if (typeof query === "string" && query.includes(";")) return query.split(";")[0];
    const raw = headers["x-amzn-errortype"] ?? body.code ?? body.__type ?? body.Code;
    if (typeof raw !== "string" || raw === "") return "UnknownError";
    // "aws.protocoltests#FooError:http://..." -> "FooError"
    let code = raw.split(":")[0];
    if (code.includes("#")) code = code.slice(code.lastIndexOf("#") + 1);
    return code;
}

export interface JsonRpcClient {
    call(operation: string, input: Record<string, unknown>): Promise<void>;
    close(): void;
}

export interface JsonRpcOptions {
    endpoint: () => Promise<URL>;
    region: string;
    signingName: string;
    targetPrefix: string;
    credentials: CredentialSource;
    /** Wall-clock time (the signing date, corrected by the server's Date when they disagree). */
    now: () => number;
}

export function jsonRpcClient(o: JsonRpcOptions): JsonRpcClient {
    let agent: http.Agent | null = null;
    let clockOffsetMs = 0;
    const signer = new SignatureV4({
        credentials: () => o.credentials.get(),
        region: o.region,
        service: o.signingName,
        sha256: NodeSha256,
        uriEscapePath: true,
    });

    const send = (url: URL, headers: Record<string, string>, body: string): Promise<Answer & { reused: boolean }> =>
        new Promise((resolve, reject) => {
            agent ??= connectionAgent(url);
            const mod = url.protocol === "http:" ? http : https;
            const req = mod.request({
                method: "POST",
                hostname: url.hostname,
                port: url.port || undefined,
                path: url.pathname + url.search,
                headers,
                agent,
            });
            const deadline = setTimeout(
                () => req.destroy(new Error(`no answer from ${url.host} within ${REQUEST_TIMEOUT_MS} ms`)),
                REQUEST_TIMEOUT_MS,
            );
            req.on("socket", (socket) => {
                if (!socket.connecting) return;
                const connectTimer = setTimeout(
                    () => req.destroy(new Error(`cannot connect to ${url.host} within ${CONNECT_TIMEOUT_MS} ms`)),
                    CONNECT_TIMEOUT_MS,
                );
                socket.once(url.protocol === "http:" ? "connect" : "secureConnect", () => clearTimeout(connectTimer));
                socket.once("close", () => clearTimeout(connectTimer));
            });
            req.on("response", (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    clearTimeout(deadline);
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: Buffer.concat(chunks).toString("utf8"),
                        reused: req.reusedSocket,
                    });
                });
                res.on("error", (e) => {
                    clearTimeout(deadline);
                    reject(e);
                });
            });
            req.on("error", (e: Error & { reusedSocket?: boolean }) => {
                clearTimeout(deadline);
                e.reusedSocket = req.reusedSocket;
                reject(e);
            });
            req.end(body);
        });

    const attempt = async (operation: string, body: string): Promise<Answer> => {
        const url = await o.endpoint();
        const request: HttpRequest = {
            method: "POST",
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port ? Number(url.port) : undefined,
            path: url.pathname || "/",
            query: {},
            headers: {
                host: url.host,
                "content-type": "application/x-amz-json-1.0",
                "x-amz-target": `${o.targetPrefix}.${operation}`,
                "content-length": String(Buffer.byteLength(body)),
            },
            body,
        };
        const signed = await signer.sign(request, { signingDate: new Date(o.now() + clockOffsetMs) });
        return send(url, signed.headers, body);
    };

    return {
        async call(operation, input) {
            const body = JSON.stringify(input);
            let answer: Answer;
            try {
                answer = await attempt(operation, body);
            } catch (e) {
                // The server may close a kept-alive connection just as we reuse it: that request never
                // arrived, so send it once more on a fresh connection (Node's documented pattern).
                const err = e as Error & { reusedSocket?: boolean; code?: string };
                if (!err.reusedSocket || (err.code !== "ECONNRESET" && err.code !== "EPIPE")) throw e;
                answer = await attempt(operation, body);
            }
            if (answer.status >= 200 && answer.status < 300) return;
            let parsed: Record<string, unknown> = {};
            try {
                const v: unknown = JSON.parse(answer.body);
                if (typeof v === "object" && v !== null) parsed = v as Record<string, unknown>;
            } catch {
                /* not JSON: a proxy or load balancer answered */
            }
            const code = errorCode(answer.headers, parsed);
            const message =
                typeof parsed.message === "string" ? parsed.message : typeof parsed.Message === "string" ? parsed.Message : `HTTP ${answer.status}`;
            const serverDate = Date.parse(String(answer.headers.date ?? ""));
            if (Number.isFinite(serverDate) && Math.abs(serverDate - (o.now() + clockOffsetMs)) > CLOCK_SKEW_MS) clockOffsetMs = serverDate - o.now();
            if (CREDENTIAL_ERRORS.test(code)) o.credentials.invalidate();
            const requestId = answer.headers["x-amzn-requestid"];
            throw new AwsServiceError(code, message, answer.status, typeof requestId === "string" ? requestId : undefined);
        },
        close() {
            agent?.destroy();
            agent = null;
        },
    };
}
