// A local CloudWatch endpoint on 127.0.0.1 for tests: speaks the wire protocol the AWS SDK v3
// uses (AWS JSON 1.0: POST /, X-Amz-Target GraniteServiceVersion20100801.<Op>, content type
// application/x-amz-json-1.0, answers {} or {"__type","message"} with 4xx/5xx), checks that every
// request is SigV4-signed by recomputing the signature with the SDK's own @smithy/signature-v4
// and the known test secret, records requests, and can be scripted to fail for a while.
//
// Protocols are pluggable (see `Protocol`). Besides AWS JSON 1.0 it also answers the Query
// protocol (`awsQuery`: form-encoded Action=PutMetricData&Version=2010-08-01&..., XML answers)
// that Debian's AWS CLI v2 (2.9) speaks; Query calls are recorded with the same params shape as
// JSON calls (MetricData.member.1.Value=3 becomes {MetricData: [{Value: 3}]}).
//
// For the laptop command it answers DescribeAlarms, ListTagsForResource, GetMetricData (Maximum
// and SampleCount per period over seeded and published datapoints, `metricDataPageSize` a page
// with NextToken) and DescribeAlarmHistory (seeded items: tests/support/alarm-history.ts).
//
//   const cw = await startCloudWatchEndpoint();
//   env: AWS_ENDPOINT_URL_CLOUDWATCH=cw.url, AWS_ACCESS_KEY_ID=TEST_CREDENTIALS.accessKeyId, ...
//   cw.failWith({ status: 503, type: "ServiceUnavailable" }, { count: 5 });
//   cw.datapoints()   // every datapoint of every accepted PutMetricData
//   await cw.close();
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest, SourceData } from "@smithy/types";
import { createHash, createHmac, Hash, randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { gunzipSync } from "node:zlib";
import { AlarmHistory } from "./alarm-history";
import { listenOnLoopback } from "./loopback";

export const TEST_CREDENTIALS = {
    accessKeyId: "AKIAIDLESTOPTEST0001",
    secretAccessKey: "idle-stop-test-secret-key/not-a-real-one+0000",
    region: "eu-west-1",
};

/** Environment for a child process (agent, aws cli) that should talk to this endpoint. */
export function clientEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("AWS_")) delete env[k];
    return {
        ...env,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_REGION: TEST_CREDENTIALS.region,
        AWS_ENDPOINT_URL_CLOUDWATCH: url,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        ...extra,
    };
}

export interface SignatureCheck {
    valid: boolean;
    /** Why not valid (missing header, wrong key, mismatch...). */
    problem?: string;
    accessKeyId?: string;
    region?: string;
    service?: string;
    signedHeaders?: string[];
}

export interface RecordedRequest {
    at: number;
    protocol: string;
    operation: string;
    headers: http.IncomingHttpHeaders;
    /** The decoded request (JSON body for AWS JSON 1.0). */
    params: Record<string, unknown>;
    rawBody: Buffer;
    signature: SignatureCheck;
    status: number;
    errorType?: string;
}

export interface Datapoint {
    at: number;
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    /** ms since the epoch. */
    timestamp: number;
    unit?: string;
    value?: number;
    statisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
    storageResolution?: number;
}

export interface Failure {
    status: number;
    /** __type, e.g. ServiceUnavailable, ThrottlingException, InternalServiceError. */
    type: string;
    message?: string;
}

export interface FailureScope {
    /** Only these operations fail (default: all). */
    operations?: string[];
    /** Fail this many matching requests, then recover (default: until cleared). */
    count?: number;
    /** Fail until this time (ms since epoch). */
    until?: number;
}

/** An alarm as the program deploys it: DescribeAlarms' record fields (Namespace, Dimensions, AlarmActions, Metrics ...) and its tags. */
export interface FakeAlarm {
    region: string;
    name: string;
    record?: Record<string, unknown>;
    tags?: Record<string, string>;
}

/** A GetMetricData query as the SDK sends it (MetricStat form only). */
interface MetricStatQuery {
    Id: string;
    MetricStat: {
        Period: number;
        Stat: string;
        Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> };
    };
}

interface ParsedCall {
    operation: string;
    params: Record<string, unknown>;
}

/** A wire protocol: recognizes, decodes and answers requests. */
export interface Protocol {
    name: string;
    matches(req: http.IncomingMessage): boolean;
    parse(req: http.IncomingMessage, body: Buffer): ParsedCall;
    ok(operation: string): { contentType: string; body: string };
    error(operation: string, f: Failure): { contentType: string; body: string };
}

const awsJson10: Protocol = {
    name: "awsJson1_0",
    matches: (req) => typeof req.headers["x-amz-target"] === "string",
    parse(req, body) {
        const target = String(req.headers["x-amz-target"]);
        const m = /^GraniteServiceVersion20100801\.(\w+)$/.exec(target);
        if (!m) throw new ProtocolError(400, "UnknownOperationException", `unknown target ${target}`);
        if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.0")) {
            throw new ProtocolError(400, "SerializationException", `content type ${req.headers["content-type"]}`);
        }
        let params: unknown;
        try {
            params = body.length ? JSON.parse(body.toString("utf8")) : {};
        } catch {
            throw new ProtocolError(400, "SerializationException", "body is not JSON");
        }
        if (typeof params !== "object" || params === null) throw new ProtocolError(400, "SerializationException", "body is not an object");
        return { operation: m[1], params: params as Record<string, unknown> };
    },
    ok: () => ({ contentType: "application/x-amz-json-1.0", body: "{}" }),
    error: (_op, f) => ({ contentType: "application/x-amz-json-1.0", body: JSON.stringify({ __type: f.type, message: f.message ?? f.type }) }),
};

const QUERY_NS = "http://monitoring.amazonaws.com/doc/2010-08-01/";

function xmlEscape(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

type Nested = Record<string, unknown> | unknown[];

/** Query-protocol keys (`A.member.2.B`) to nested objects/arrays (`{A: [, {B}]}`); `member.N` is 1-based. */
function unflattenQuery(form: URLSearchParams): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const [key, value] of form) {
        const segs: Array<string | number> = [];
        const parts = key.split(".");
        for (let i = 0; i < parts.length; i++) {
            if (parts[i] === "member" && i + 1 < parts.length && /^\d+$/.test(parts[i + 1])) {
                segs.push(Number(parts[++i]) - 1);
            } else segs.push(parts[i]);
        }
        let node: Nested = root;
        for (let i = 0; i < segs.length; i++) {
            const seg = segs[i];
            const last = i === segs.length - 1;
            const rec = node as Record<string | number, unknown>;
            if (last) {
                rec[seg] = value;
                break;
            }
            let next = rec[seg];
            if (typeof next !== "object" || next === null) {
                next = typeof segs[i + 1] === "number" ? [] : {};
                rec[seg] = next;
            }
            node = next as Nested;
        }
    }
    // Sparse arrays (member.2 without member.1) become dense.
    const dense = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(dense);
        if (typeof v === "object" && v !== null) {
            const o: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v)) o[k] = dense(x);
            return o;
        }
        return v;
    };
    return dense(root) as Record<string, unknown>;
}

const QUERY_NUMBERS = new Set(["Value", "SampleCount", "Sum", "Minimum", "Maximum", "StorageResolution"]);

/** Query values are strings: turn PutMetricData's numeric fields into numbers, as JSON carries them. */
function numberify(v: unknown, key = ""): unknown {
    if (Array.isArray(v)) return v.map((x) => (key === "Values" || key === "Counts" ? Number(x) : numberify(x)));
    if (typeof v === "object" && v !== null) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[k] = numberify(x, k);
        return o;
    }
    if (typeof v === "string" && QUERY_NUMBERS.has(key) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
    return v;
}

/** The Query protocol (AWS CLI v2 for CloudWatch): form-encoded POST, XML answers. */
const awsQuery: Protocol = {
    name: "awsQuery",
    matches: (req) => String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"),
    parse(_req, body) {
        const form = new URLSearchParams(body.toString("utf8"));
        const action = form.get("Action");
        if (!action || !/^\w+$/.test(action)) throw new ProtocolError(400, "MissingAction", "no Action parameter");
        const version = form.get("Version");
        if (version !== "2010-08-01") throw new ProtocolError(400, "InvalidParameterValue", `Version ${String(version)}, expected 2010-08-01`);
        form.delete("Action");
        form.delete("Version");
        const params = numberify(unflattenQuery(form)) as Record<string, unknown>;
        return { operation: action, params };
    },
    ok: (operation) => ({
        contentType: "text/xml",
        body: `<${operation}Response xmlns="${QUERY_NS}"><ResponseMetadata><RequestId>${randomRequestId()}</RequestId></ResponseMetadata></${operation}Response>`,
    }),
    error: (_op, f) => ({
        contentType: "text/xml",
        body:
            `<ErrorResponse xmlns="${QUERY_NS}"><Error><Type>${f.status >= 500 ? "Receiver" : "Sender"}</Type>` +
            `<Code>${xmlEscape(f.type)}</Code><Message>${xmlEscape(f.message ?? f.type)}</Message></Error>` +
            `<RequestId>${randomRequestId()}</RequestId></ErrorResponse>`,
    }),
};

function randomRequestId(): string {
    return randomUUID();
}

class ProtocolError extends Error {
    constructor(
        readonly status: number,
        readonly type: string,
        message: string,
    ) {
        super(message);
    }
}

function toBuffer(d: SourceData): Buffer {
    if (typeof d === "string") return Buffer.from(d, "utf8");
    if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    return Buffer.from(d);
}

class NodeSha256 {
    private h: Hash | ReturnType<typeof createHmac>;
    constructor(secret?: SourceData) {
        this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
    }
    update(data: SourceData): void {
        this.h.update(toBuffer(data));
    }
    digest(): Promise<Uint8Array> {
        return Promise.resolve(new Uint8Array(this.h.digest()));
    }
    reset(): void {
        this.h = createHash("sha256");
    }
}

const AUTH =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the SigV4 signature of a request with the SDK's signer and the known secret. */
export async function verifySigV4(
    req: http.IncomingMessage,
    body: Buffer,
    secret: string,
    accessKeyId: string,
    expectedService = "monitoring",
): Promise<SignatureCheck> {
    const auth = req.headers.authorization;
    if (!auth) return { valid: false, problem: "no Authorization header" };
    const m = AUTH.exec(auth);
    if (!m) return { valid: false, problem: `malformed Authorization: ${auth.slice(0, 80)}` };
    const [, akid, day, region, service, signedList, signature] = m;
    const base = { accessKeyId: akid, region, service, signedHeaders: signedList.split(";") };
    if (akid !== accessKeyId) return { ...base, valid: false, problem: `unknown access key ${akid}` };
    if (service !== expectedService) return { ...base, valid: false, problem: `credential scope service ${service}, expected "${expectedService}"` };
    const amzDate = req.headers["x-amz-date"];
    if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) {
        return { ...base, valid: false, problem: `bad X-Amz-Date ${String(amzDate)}` };
    }
    const signingDate = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60 * 1000) return { ...base, valid: false, problem: "request time too skewed" };
    for (const h of ["host", "x-amz-date"]) if (!base.signedHeaders.includes(h)) return { ...base, valid: false, problem: `${h} not signed` };
    const headers: Record<string, string> = {};
    for (const name of base.signedHeaders) {
        const v = req.headers[name];
        if (v === undefined) return { ...base, valid: false, problem: `signed header ${name} missing` };
        headers[name] = Array.isArray(v) ? v.join(",") : v;
    }
    const url = new URL(req.url ?? "/", "http://placeholder");
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const [hostname, port] = (headers.host ?? "").split(":");
    const request: HttpRequest = {
        method: req.method ?? "POST",
        protocol: "http:",
        hostname,
        port: port ? Number(port) : undefined,
        path: url.pathname,
        query,
        headers,
        body: new Uint8Array(body),
    };
    const token = req.headers["x-amz-security-token"];
    const signer = new SignatureV4({
        credentials: { accessKeyId, secretAccessKey: secret, sessionToken: typeof token === "string" ? token : undefined },
        region,
        service,
        sha256: NodeSha256,
        uriEscapePath: true,
        applyChecksum: false,
    });
    const signed = await signer.sign(request, { signingDate, signingRegion: region, signingService: service });
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ""))?.[1];
    if (expected !== signature) return { ...base, valid: false, problem: "signature mismatch" };
    return { ...base, valid: true };
}

function toMs(t: unknown): number {
    if (typeof t === "number") return Math.round(t * 1000); // AWS JSON: epoch seconds
    if (typeof t === "string") return /^\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : Date.parse(t);
    return NaN;
}

export class CloudWatchEndpoint {
    readonly requests: RecordedRequest[] = [];
    url = "";
    port = 0;
    /** Reject requests whose signature does not verify (403 InvalidSignatureException). Default true. */
    enforceSignature = true;
    /** TCP connections accepted so far (a client that keeps its connection alive opens one). */
    connections = 0;
    /** Access keys accepted besides the test key (e.g. temporary ones a test's metadata service hands out). */
    private readonly keys = new Map<string, string>();
    private server: http.Server | https.Server;
    private failure: (Failure & FailureScope) | null = null;
    private protocols: Protocol[] = [awsJson10, awsQuery];
    private waiters: Array<() => void> = [];

    constructor(
        private readonly creds = TEST_CREDENTIALS,
        /** Serve HTTPS with this key and certificate (clients trust it via NODE_EXTRA_CA_CERTS), as CloudWatch does. */
        private readonly tls?: { key: string; cert: string },
    ) {
        const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                void this.handle(req, Buffer.concat(chunks), res).catch((e: unknown) => {
                    res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
                    res.end(JSON.stringify({ __type: "InternalFailure", message: String(e) }));
                });
            });
        };
        this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest) : http.createServer(onRequest);
        this.server.on(tls ? "secureConnection" : "connection", () => this.connections++);
    }

    async listen(): Promise<this> {
        this.port = await listenOnLoopback(this.server);
        this.url = `${this.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
        return this;
    }

    /** Also accept requests signed with this key. */
    allowKey(accessKeyId: string, secretAccessKey: string): void {
        this.keys.set(accessKeyId, secretAccessKey);
    }

    /** How long an idle kept-alive connection stays open (Node's server default: 5 s). */
    set keepAliveTimeoutMs(ms: number) {
        this.server.keepAliveTimeout = ms;
    }

    /** Add a wire protocol (tried before the built-in ones). */
    addProtocol(p: Protocol): void {
        this.protocols.unshift(p);
    }

    /** Fail matching requests with this error until cleared / count used up / until passed. */
    failWith(f: Failure, scope: FailureScope = {}): void {
        this.failure = { ...f, ...scope };
    }

    recover(): void {
        this.failure = null;
    }

    private takeFailure(operation: string): Failure | null {
        const f = this.failure;
        if (!f) return null;
        if (f.until !== undefined && Date.now() >= f.until) {
            this.failure = null;
            return null;
        }
        if (f.operations && !f.operations.includes(operation)) return null;
        if (f.count !== undefined) {
            if (f.count <= 0) {
                this.failure = null;
                return null;
            }
            f.count--;
        }
        return f;
    }

    private async handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): Promise<void> {
        const send = (status: number, r: { contentType: string; body: string }): void => {
            res.writeHead(status, { "content-type": r.contentType, "x-amzn-requestid": `req-${this.requests.length}` });
            res.end(r.body);
        };
        const proto = this.protocols.find((p) => p.matches(req));
        if (req.method !== "POST" || !proto) {
            send(400, awsJson10.error("", { status: 400, type: "UnknownOperationException", message: `${req.method} ${req.url}` }));
            return;
        }
        let body = raw;
        if (String(req.headers["content-encoding"] ?? "").includes("gzip")) body = gunzipSync(raw);
        // The key the request names, if this endpoint knows it (the test key, or one added with allowKey).
        const akid = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
        const secret = akid !== undefined ? this.keys.get(akid) : undefined;
        const signature = await verifySigV4(
            req,
            raw,
            secret ?? this.creds.secretAccessKey,
            secret !== undefined && akid !== undefined ? akid : this.creds.accessKeyId,
        );
        let call: ParsedCall;
        try {
            call = proto.parse(req, body);
        } catch (e) {
            const pe = e instanceof ProtocolError ? e : new ProtocolError(400, "SerializationException", String(e));
            this.record({
                at: Date.now(),
                protocol: proto.name,
                operation: "?",
                headers: req.headers,
                params: {},
                rawBody: body,
                signature,
                status: pe.status,
                errorType: pe.type,
            });
            send(pe.status, proto.error("?", { status: pe.status, type: pe.type, message: pe.message }));
            return;
        }
        const rec: RecordedRequest = {
            at: Date.now(),
            protocol: proto.name,
            operation: call.operation,
            headers: req.headers,
            params: call.params,
            rawBody: body,
            signature,
            status: 200,
        };
        let failure: Failure | null = null;
        if (this.enforceSignature && !signature.valid) failure = { status: 403, type: "InvalidSignatureException", message: signature.problem };
        else failure = this.takeFailure(call.operation);
        if (failure) {
            rec.status = failure.status;
            rec.errorType = failure.type;
            this.record(rec);
            send(failure.status, proto.error(call.operation, failure));
            return;
        }
        this.record(rec);
        const answer = proto === awsJson10 ? this.answer(call.operation, call.params, signature.region ?? "") : undefined;
        send(200, answer === undefined ? proto.ok(call.operation) : { contentType: "application/x-amz-json-1.0", body: JSON.stringify(answer) });
    }

    private record(r: RecordedRequest): void {
        this.requests.push(r);
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
    }

    /** Resolves at the next recorded request. */
    nextRequest(): Promise<void> {
        return new Promise((r) => this.waiters.push(r));
    }

    /** Accepted requests of one operation. */
    accepted(operation: string): RecordedRequest[] {
        return this.requests.filter((r) => r.operation === operation && r.status === 200);
    }

    /** All datapoints of accepted PutMetricData calls, in arrival order. */
    datapoints(): Datapoint[] {
        const out: Datapoint[] = [];
        for (const r of this.accepted("PutMetricData")) {
            const ns = String(r.params.Namespace);
            const data = Array.isArray(r.params.MetricData) ? (r.params.MetricData as Array<Record<string, unknown>>) : [];
            for (const d of data) {
                const dims: Record<string, string> = {};
                for (const x of (Array.isArray(d.Dimensions) ? d.Dimensions : []) as Array<{ Name: string; Value: string }>) dims[x.Name] = x.Value;
                out.push({
                    at: r.at,
                    namespace: ns,
                    metricName: String(d.MetricName),
                    dimensions: dims,
                    timestamp: toMs(d.Timestamp),
                    unit: typeof d.Unit === "string" ? d.Unit : undefined,
                    value: typeof d.Value === "number" ? d.Value : undefined,
                    statisticValues: d.StatisticValues as Datapoint["statisticValues"],
                    storageResolution: typeof d.StorageResolution === "number" ? d.StorageResolution : undefined,
                });
            }
        }
        return out;
    }

    reset(): void {
        this.requests.length = 0;
        this.failure = null;
        this.alarms.clear();
        this.definitions.length = 0;
        this.seeded.length = 0;
        this.history.clear();
    }

    /** Alarm states DescribeAlarms reports (AWS JSON 1.0), by alarm name. */
    readonly alarms = new Map<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">();
    /** Datapoints GetMetricData sees besides the ones PutMetricData delivered. */
    private readonly seeded: Datapoint[] = [];

    /** Adds a datapoint as if it had been published earlier (timestamp in ms); with sampleCount, as the agent's StatisticValues. */
    seedDatapoint(d: { namespace: string; metricName: string; instanceId: string; timestamp: number; value: number; sampleCount?: number }): void {
        this.seeded.push({
            at: Date.now(),
            namespace: d.namespace,
            metricName: d.metricName,
            dimensions: { InstanceId: d.instanceId },
            timestamp: d.timestamp,
            ...(d.sampleCount === undefined
                ? { value: d.value }
                : { statisticValues: { SampleCount: d.sampleCount, Sum: d.value * d.sampleCount, Minimum: d.value, Maximum: d.value } }),
        });
    }

    /** GetMetricData answers at most this many datapoints per query and page (then a NextToken). */
    metricDataPageSize = 100_800;
    /** DescribeAlarmHistory's items (tests/support/alarm-history.ts), per region. */
    readonly history = new AlarmHistory();

    /** Whole alarms with tags, per region (the region the request is signed for), as the program deploys them. */
    private readonly definitions: Array<FakeAlarm & { arn: string }> = [];

    /** Adds an alarm that DescribeAlarms lists (in its region) and ListTagsForResource answers for; returns its ARN. */
    addAlarm(alarm: FakeAlarm): string {
        const arn = `arn:aws:cloudwatch:${alarm.region}:123456789012:alarm:${alarm.name}`;
        this.definitions.push({ ...alarm, arn });
        return arn;
    }

    /** DescribeAlarms: the named alarms, or every one in the region, `MaxRecords` a page (NextToken: the next index). */
    private describeAlarms(params: Record<string, unknown>, region: string): Record<string, unknown> {
        const named = Array.isArray(params.AlarmNames) ? (params.AlarmNames as string[]) : undefined;
        const defs = this.definitions
            .filter((d) => d.region === region && (named === undefined || named.includes(d.name)))
            .map((d) => ({ ...d.record, AlarmName: d.name, AlarmArn: d.arn, StateValue: this.alarms.get(d.name) ?? "OK", StateReason: "test" }));
        const plain = (named ?? [...this.alarms.keys()])
            .filter((n) => this.alarms.has(n) && !defs.some((d) => d.AlarmName === n))
            .map((n) => ({ AlarmName: n, StateValue: this.alarms.get(n), StateReason: "test" }));
        const all = [...defs, ...plain];
        const from = typeof params.NextToken === "string" ? Number(params.NextToken) : 0;
        const size = typeof params.MaxRecords === "number" ? params.MaxRecords : 50;
        const page = all.slice(from, from + size);
        return { MetricAlarms: page, CompositeAlarms: [], ...(from + size < all.length ? { NextToken: String(from + size) } : {}) };
    }

    /** Answers of the read operations the laptop command uses; undefined: the plain `{}`. */
    private answer(operation: string, params: Record<string, unknown>, region: string): Record<string, unknown> | undefined {
        switch (operation) {
            case "DescribeAlarms":
                return this.describeAlarms(params, region);
            case "ListTagsForResource": {
                const def = this.definitions.find((d) => d.arn === params.ResourceARN);
                if (!def) throw new ProtocolError(400, "ResourceNotFoundException", `no alarm ${String(params.ResourceARN)}`);
                return { Tags: Object.entries(def.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
            }
            case "GetMetricData":
                return this.metricData(params);
            case "DescribeAlarmHistory":
                return this.history.describe(params, region);
            default:
                return undefined;
        }
    }

    /** GetMetricData over MetricStat queries: per-period statistic of the matching datapoints, in [StartTime, EndTime). */
    private metricData(params: Record<string, unknown>): Record<string, unknown> {
        const start = toMs(params.StartTime);
        const end = toMs(params.EndTime);
        const descending = params.ScanBy !== "TimestampAscending";
        const queries = (Array.isArray(params.MetricDataQueries) ? params.MetricDataQueries : []) as MetricStatQuery[];
        const all = [...this.seeded, ...this.datapoints()];
        // NextToken: the index of the page's first datapoint in every query's answer.
        const offset = typeof params.NextToken === "string" ? Number(params.NextToken) : 0;
        const next = offset + this.metricDataPageSize;
        let more = false;
        const results = queries.map((q) => {
            const stat = q.MetricStat;
            const period = Number(stat.Period) * 1000;
            const dims: Record<string, string> = {};
            for (const d of (stat.Metric.Dimensions ?? []) as Array<{ Name: string; Value: string }>) dims[d.Name] = d.Value;
            const byPeriod = new Map<number, number[]>();
            for (const p of all) {
                if (p.namespace !== stat.Metric.Namespace || p.metricName !== stat.Metric.MetricName) continue;
                if (Object.entries(dims).some(([k, v]) => p.dimensions[k] !== v)) continue;
                if (p.timestamp < start || p.timestamp >= end) continue;
                const bucket = Math.floor(p.timestamp / period) * period;
                // SampleCount adds up the published sample counts (a plain value is one sample), as CloudWatch does.
                const value = stat.Stat === "SampleCount" ? (p.statisticValues?.SampleCount ?? 1) : (p.value ?? p.statisticValues?.Maximum);
                if (value === undefined) continue;
                const values = byPeriod.get(bucket) ?? [];
                values.push(value);
                byPeriod.set(bucket, values);
            }
            if (stat.Stat !== "Maximum" && stat.Stat !== "SampleCount")
                throw new ProtocolError(
                    400,
                    "InvalidParameterValue",
                    `the test endpoint computes Maximum and SampleCount only, not ${String(stat.Stat)}`,
                );
            const buckets = [...byPeriod.keys()].sort((a, b) => (descending ? b - a : a - b));
            const page = buckets.slice(offset, next);
            if (buckets.length > next) more = true;
            return {
                Id: q.Id,
                Label: stat.Metric.MetricName,
                StatusCode: buckets.length > next ? "PartialData" : "Complete",
                Timestamps: page.map((b) => b / 1000),
                Values: page.map((b) => (stat.Stat === "SampleCount" ? byPeriod.get(b)!.reduce((x, y) => x + y, 0) : Math.max(...byPeriod.get(b)!))),
            };
        });
        return { MetricDataResults: results, Messages: [], ...(more ? { NextToken: String(next) } : {}) };
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((r) => this.server.close(() => r()));
    }
}

export async function startCloudWatchEndpoint(creds = TEST_CREDENTIALS, tls?: { key: string; cert: string }): Promise<CloudWatchEndpoint> {
    return new CloudWatchEndpoint(creds, tls).listen();
}
