// A local EC2 instance metadata service on 127.0.0.1 for tests: the IMDSv2 flow the SDK's
// instance-role provider uses. PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds)
// hands out a session token; GET /latest/meta-data/iam/security-credentials/ names the role and
// GET .../ROLE returns its temporary credentials, both only with a valid token (401 otherwise,
// as a box that requires IMDSv2). Point a client at it with
// AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url (and AWS_EC2_METADATA_DISABLED unset).
//
//   const imds = await startImds({ role: "idle-stop-agent" });
//   imds.issue({ accessKeyId, secretAccessKey, token, expiresInMs });   // what the role hands out now
//   imds.requests                                                       // method, path, token used
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import { listenOnLoopback } from "./loopback";

export interface RoleCredentials {
    accessKeyId: string;
    secretAccessKey: string;
    token: string;
    expiresInMs: number;
}

export interface ImdsRequest {
    method: string;
    path: string;
    /** The X-aws-ec2-metadata-token sent, if any. */
    token: string | undefined;
    status: number;
}

const PREFIX = "/latest/meta-data/iam/security-credentials/";

export class LocalImds {
    url = "";
    readonly requests: ImdsRequest[] = [];
    private readonly tokens = new Map<string, number>(); // token -> expiry (ms)
    private current: RoleCredentials | null = null;
    private readonly server: http.Server;

    constructor(readonly role: string) {
        this.server = http.createServer((req, res) => {
            req.resume();
            req.on("end", () => this.handle(req, res));
        });
    }

    async listen(): Promise<this> {
        this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}`;
        return this;
    }

    /** The credentials the role hands out from now on. */
    issue(c: RoleCredentials): void {
        this.current = c;
    }

    /** Credential documents served (GET of the role's path with a valid token). */
    credentialFetches(): number {
        return this.requests.filter((r) => r.method === "GET" && r.path === `${PREFIX}${this.role}` && r.status === 200).length;
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const path = (req.url ?? "/").split("?")[0];
        const token = typeof req.headers["x-aws-ec2-metadata-token"] === "string" ? req.headers["x-aws-ec2-metadata-token"] : undefined;
        const send = (status: number, body: string, type = "text/plain"): void => {
            this.requests.push({ method: req.method ?? "", path, token, status });
            res.writeHead(status, { "content-type": type });
            res.end(body);
        };
        if (req.method === "PUT" && path === "/latest/api/token") {
            const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
            if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds");
            const t = randomBytes(24).toString("base64");
            this.tokens.set(t, Date.now() + ttl * 1000);
            res.setHeader("x-aws-ec2-metadata-token-ttl-seconds", String(ttl));
            return send(200, t);
        }
        if (req.method !== "GET") return send(405, "");
        if (token === undefined || (this.tokens.get(token) ?? 0) < Date.now()) return send(401, ""); // IMDSv2 required
        if (path === PREFIX) return this.current ? send(200, this.role) : send(404, "");
        if (path === `${PREFIX}${this.role}` && this.current) {
            const now = new Date();
            return send(
                200,
                JSON.stringify({
                    Code: "Success",
                    LastUpdated: now.toISOString(),
                    Type: "AWS-HMAC",
                    AccessKeyId: this.current.accessKeyId,
                    SecretAccessKey: this.current.secretAccessKey,
                    Token: this.current.token,
                    Expiration: new Date(now.getTime() + this.current.expiresInMs).toISOString(),
                }),
                "application/json",
            );
        }
        return send(404, "");
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((r) => this.server.close(() => r()));
    }
}

export function startImds(opts: { role: string }): Promise<LocalImds> {
    return new LocalImds(opts.role).listen();
}
