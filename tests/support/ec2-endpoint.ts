// A local EC2 endpoint on 127.0.0.1 for tests of the laptop command: speaks the EC2 Query
// protocol the AWS SDK v3 uses (POST /, form-encoded Action=...&Version=2016-11-15&InstanceId.1=...,
// XML answers in the 2016-11-15 namespace, errors as <Response><Errors><Error><Code>), checks the
// SigV4 signature with the SDK's own signer (service "ec2"), and keeps instances whose state
// moves like EC2's, compressed to seconds:
//   stopped --StartInstances--> pending --(pendingMs)--> running (gets a public address)
//   running --StopInstances-->  stopping --(stoppingMs)--> stopped (loses it)
//
//   const ec2 = await startEc2Endpoint();
//   ec2.addInstance({ id: "i-0123456789abcdef0", state: "stopped", name: "devbox" });
//   env AWS_ENDPOINT_URL_EC2=ec2.url (+ clientEnv's test credentials)
//   ec2.deny("StartInstances");       // answers UnauthorizedOperation, like a missing IAM permission
//   ec2.calls("StartInstances")      // accepted calls, for "exactly one start"
//   ec2.addInstance({ ..., hibernation: true })   // launched with hibernation: StopInstances
//                                     // Hibernate=true hibernates it; without, EC2's refusal
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { TEST_CREDENTIALS, verifySigV4 } from "./cloudwatch-endpoint";
import { listenOnLoopback } from "./loopback";

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const stateCodes: Record<string, number> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 };
export type InstanceState = keyof typeof stateCodes;

export interface FakeInstance {
    id: string;
    state: InstanceState;
    name?: string;
    /** Public address while running (assigned at each start, like EC2 without an Elastic IP). */
    publicIp?: string;
    privateIp: string;
    /** Default t3.micro. */
    instanceType?: string;
    /** Launched with hibernation enabled (HibernationOptions.Configured). */
    hibernation?: boolean;
    /** Set when the last stop was a hibernation (for tests; EC2 shows it as the stop reason). */
    hibernated?: boolean;
}

export interface Ec2Call {
    at: number;
    action: string;
    params: Record<string, unknown>;
    status: number;
    errorCode?: string;
    signatureValid: boolean;
}

class Ec2Error extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** EC2's flavour of Query lists: `InstanceId.1=a&InstanceId.2=b`, `Filter.1.Name=...` (1-based, no "member"). */
function unflattenEc2Query(form: URLSearchParams): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const [key, value] of form) {
        const segs = key.split(".").map((seg) => (/^\d+$/.test(seg) ? Number(seg) - 1 : seg));
        let node: Record<string | number, unknown> = root;
        segs.forEach((seg, i) => {
            if (i === segs.length - 1) {
                node[seg] = value;
                return;
            }
            if (typeof node[seg] !== "object" || node[seg] === null) node[seg] = typeof segs[i + 1] === "number" ? [] : {};
            node = node[seg] as Record<string | number, unknown>;
        });
    }
    return root;
}

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export class Ec2Endpoint {
    url = "";
    readonly log: Ec2Call[] = [];
    /** How long pending and stopping last. */
    pendingMs = 1500;
    stoppingMs = 1500;
    /** The public address an instance gets when it reaches running. */
    publicAddress = "127.0.0.1";
    private readonly instances = new Map<string, FakeInstance>();
    private readonly denied = new Set<string>();
    private readonly timers = new Set<NodeJS.Timeout>();
    /** Transitions that start when an instance is first described (addInstance's untilDescribed). */
    private readonly onFirstDescribe = new Map<string, () => void>();
    private readonly server: http.Server;

    constructor(private readonly creds = TEST_CREDENTIALS) {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => void this.handle(req, Buffer.concat(chunks), res));
        });
    }

    async listen(): Promise<this> {
        this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}`;
        return this;
    }

    /**
     * Adds an instance; one added as pending or stopping moves on by itself like a real one. With
     * `untilDescribed` its pendingMs/stoppingMs count from the first DescribeInstances that shows
     * it, so a client however slow to start (a loaded machine) still sees the transitional state.
     */
    addInstance(spec: {
        id: string;
        state: InstanceState;
        name?: string;
        privateIp?: string;
        untilDescribed?: boolean;
        instanceType?: string;
        hibernation?: boolean;
    }): FakeInstance {
        const instance: FakeInstance = {
            id: spec.id,
            state: spec.state,
            name: spec.name,
            privateIp: spec.privateIp ?? "10.0.0.17",
            instanceType: spec.instanceType,
            hibernation: spec.hibernation,
        };
        if (spec.state === "running" || spec.state === "stopping") instance.publicIp = this.publicAddress;
        this.instances.set(spec.id, instance);
        const moveOn = (): void => {
            if (spec.state === "pending") this.after(this.pendingMs, instance, "running");
            if (spec.state === "stopping") this.after(this.stoppingMs, instance, "stopped");
        };
        if (spec.untilDescribed) this.onFirstDescribe.set(spec.id, moveOn);
        else moveOn();
        return instance;
    }

    instance(id: string): FakeInstance | undefined {
        return this.instances.get(id);
    }

    /** Answer this action with UnauthorizedOperation (403), as EC2 does without the IAM permission. */
    deny(action: string): void {
        this.denied.add(action);
    }

    /** Allow every action again. */
    allowAll(): void {
        this.denied.clear();
    }

    /** Accepted calls of one action (optionally for one instance). */
    calls(action: string, instanceId?: string): Ec2Call[] {
        return this.log.filter(
            (c) =>
                c.action === action &&
                c.status === 200 &&
                (instanceId === undefined || JSON.stringify(c.params.InstanceId ?? []).includes(instanceId)),
        );
    }

    private after(ms: number, instance: FakeInstance, next: InstanceState): void {
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            instance.state = next;
            if (next === "running") instance.publicIp = this.publicAddress;
            if (next === "stopped") instance.publicIp = undefined;
        }, ms);
        this.timers.add(timer);
    }

    private async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
        const requestId = randomUUID();
        const signature = await verifySigV4(req, body, this.creds.secretAccessKey, this.creds.accessKeyId, "ec2");
        const form = new URLSearchParams(body.toString("utf8"));
        const action = form.get("Action") ?? "?";
        const call: Ec2Call = { at: Date.now(), action, params: {}, status: 200, signatureValid: signature.valid };
        try {
            if (req.method !== "POST" || !String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
                throw new Ec2Error(400, "InvalidAction", `${req.method} ${String(req.headers["content-type"])}`);
            }
            if (form.get("Version") !== "2016-11-15") throw new Ec2Error(400, "InvalidParameterValue", `Version ${String(form.get("Version"))}`);
            form.delete("Action");
            form.delete("Version");
            call.params = unflattenEc2Query(form);
            if (!signature.valid)
                throw new Ec2Error(401, "AuthFailure", `AWS was not able to validate the provided access credentials (${signature.problem})`);
            if (this.denied.has(action)) {
                throw new Ec2Error(
                    403,
                    "UnauthorizedOperation",
                    `You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ec2:${action} because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${Buffer.from(randomUUID()).toString("base64")}`,
                );
            }
            const xml = this.answer(action, call.params);
            this.log.push(call);
            res.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
            res.end(
                `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}"><requestId>${requestId}</requestId>${xml}</${action}Response>`,
            );
        } catch (err) {
            const e = err instanceof Ec2Error ? err : new Ec2Error(500, "InternalError", String(err));
            call.status = e.status;
            call.errorCode = e.code;
            this.log.push(call);
            res.writeHead(e.status, { "content-type": "text/xml;charset=UTF-8" });
            res.end(
                `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
            );
        }
    }

    /** Instance ids named by InstanceId.N (unflattened to an array); unknown ones fail the call, as in EC2. */
    private named(params: Record<string, unknown>): FakeInstance[] {
        const raw = params.InstanceId;
        const ids = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
        const unknown = ids.filter((id) => !this.instances.has(id));
        if (unknown.length > 0) {
            const malformed = unknown.find((id) => !/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id));
            if (malformed) throw new Ec2Error(400, "InvalidInstanceID.Malformed", `Invalid id: "${malformed}"`);
            throw new Ec2Error(
                400,
                "InvalidInstanceID.NotFound",
                `The instance ID${unknown.length > 1 ? "s" : ""} '${unknown.join(", ")}' ${unknown.length > 1 ? "do" : "does"} not exist`,
            );
        }
        return ids.length > 0 ? ids.map((id) => this.instances.get(id)!) : [...this.instances.values()];
    }

    private stateXml(tag: string, state: InstanceState): string {
        return `<${tag}><code>${stateCodes[state]}</code><name>${state}</name></${tag}>`;
    }

    /**
     * EC2's refusals of Hibernate=true: an instance launched without hibernation gets
     * UnsupportedHibernationConfiguration whatever its state (its message ends with ": <instance id>",
     * as instance-scheduler-on-aws parses it); a configured one that is not running gets
     * IncorrectInstanceState (a plain stop of a stopped instance succeeds).
     */
    private checkHibernation(hibernate: boolean, i: FakeInstance): void {
        if (!hibernate) return;
        if (i.hibernation !== true) {
            throw new Ec2Error(400, "UnsupportedHibernationConfiguration", `The instance is not configured for hibernation: ${i.id}`);
        }
        if (i.state !== "running") {
            throw new Ec2Error(400, "IncorrectInstanceState", `The instance '${i.id}' is not in a state from which it can be hibernated.`);
        }
    }

    private answer(action: string, params: Record<string, unknown>): string {
        switch (action) {
            case "DescribeInstances": {
                const described = this.named(params);
                for (const i of described) {
                    this.onFirstDescribe.get(i.id)?.();
                    this.onFirstDescribe.delete(i.id);
                }
                const items = described
                    .map(
                        (i) =>
                            `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item>` +
                            `<instanceId>${i.id}</instanceId><imageId>ami-0123456789abcdef0</imageId>${this.stateXml("instanceState", i.state)}` +
                            `<privateDnsName>ip-${i.privateIp.replace(/\./g, "-")}.ec2.internal</privateDnsName>` +
                            `<dnsName>${i.publicIp ? `ec2-${i.publicIp.replace(/\./g, "-")}.compute-1.amazonaws.com` : ""}</dnsName>` +
                            `<instanceType>${esc(i.instanceType ?? "t3.micro")}</instanceType><privateIpAddress>${i.privateIp}</privateIpAddress>` +
                            (i.publicIp ? `<ipAddress>${i.publicIp}</ipAddress>` : "") +
                            (i.name ? `<tagSet><item><key>Name</key><value>${esc(i.name)}</value></item></tagSet>` : "") +
                            `</item></instancesSet></item>`,
                    )
                    .join("");
                return `<reservationSet>${items}</reservationSet>`;
            }
            case "StartInstances":
            case "StopInstances": {
                const starting = action === "StartInstances";
                const targets = this.named(params);
                const hibernate = !starting && params.Hibernate === "true";
                for (const i of targets) {
                    this.checkHibernation(hibernate, i);
                    const allowed = starting ? ["stopped", "pending", "running"] : ["running", "pending", "stopping", "stopped"];
                    if (!allowed.includes(i.state)) {
                        throw new Ec2Error(
                            400,
                            "IncorrectInstanceState",
                            `The instance '${i.id}' is not in a state from which it can be ${starting ? "started" : "stopped"}.`,
                        );
                    }
                }
                const items = targets
                    .map((i) => {
                        const previous = i.state;
                        if (starting && previous === "stopped") {
                            i.state = "pending";
                            this.after(this.pendingMs, i, "running");
                        } else if (!starting && (previous === "running" || previous === "pending")) {
                            i.state = "stopping";
                            i.hibernated = hibernate;
                            this.after(this.stoppingMs, i, "stopped");
                        }
                        return `<item><instanceId>${i.id}</instanceId>${this.stateXml("currentState", i.state)}${this.stateXml("previousState", previous)}</item>`;
                    })
                    .join("");
                return `<instancesSet>${items}</instancesSet>`;
            }
            default:
                throw new Ec2Error(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
        }
    }

    async close(): Promise<void> {
        for (const t of this.timers) clearTimeout(t);
        this.server.closeAllConnections();
        await new Promise<void>((r) => this.server.close(() => r()));
    }
}

export async function startEc2Endpoint(creds = TEST_CREDENTIALS): Promise<Ec2Endpoint> {
    return new Ec2Endpoint(creds).listen();
}
