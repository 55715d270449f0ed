/**
 * Pulumi's official mock runtime, set up once per mocha process (tests/support/setup.ts), with
 * a recorder of every resource registration so tests can inspect what a program declared:
 * type, name, parent URN, inputs, and the raw wire form that shows which inputs are secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

/** Pulumi's wire marker for a secret value (see sdk/nodejs/runtime/rpc.ts). */
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";
const signatureKey = "4dabf18193072939515e22adb298388d";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parentUrn: string;
    readonly custom: boolean;
    /** Inputs as plain values (secrets unwrapped). */
    readonly inputs: Record<string, unknown>;
    /** Inputs in Pulumi's wire form: secrets appear as `{ [signatureKey]: secretSignature, value }`. */
    readonly wireInputs: Record<string, unknown>;
    /** The `ignoreChanges` resource option. */
    readonly ignoreChanges: string[];
    /** The explicit provider reference (`URN::ID`), "" for the default provider. */
    readonly provider: string;
    /** URNs this resource depends on (`dependsOn` and the resources its inputs came from). */
    readonly dependencies: string[];
}

export interface RecordedCall {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
    /** The explicit provider reference (`URN::ID`), "" for the default provider. */
    readonly provider: string;
}

/** The AWS environment the mocked provider functions describe; tests may change it. */
export const mockAws = {
    region: "us-east-1",
    accountId: "123456789012",
    /** Instances that `aws:ec2/getInstance:getInstance` can find, by id. */
    existingInstances: new Map<string, { publicDns: string; publicIp: string; privateIp: string; ipv6Addresses?: string[] }>(),
    /** Added to created instances' public IPs: a box that was stopped and started has another one. */
    publicIpShift: 0,
};

/** Regions of the explicit `aws.Provider`s a program declared, by provider id. */
const providerRegions = new Map<string, string>();

/** The region a resource or call lands in: its explicit provider's, else the stack's (mockAws.region). */
function regionOf(providerRef: string | undefined): string {
    const id = providerRef ? providerRef.slice(providerRef.lastIndexOf("::") + 2) : "";
    return providerRegions.get(id) ?? mockAws.region;
}

/** A stable small number per name, so a resource's mocked outputs do not depend on run order. */
function nameNumber(name: string, modulo: number): number {
    let n = 0;
    for (const c of name) n = (n * 31 + c.charCodeAt(0)) % 100003;
    return n % modulo;
}

function partitionOf(region: string): { partition: string; dnsSuffix: string } {
    if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
    if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
    return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

export const recorded: RecordedResource[] = [];
export const calls: RecordedCall[] = [];

let counter = 0;
function fakeId(prefix: string): string {
    counter += 1;
    return `${prefix}${counter.toString(16).padStart(8, "0")}`;
}

/** Computed outputs a real provider would fill in, so downstream `apply`s see realistic values. */
function computedState(type: string, name: string, inputs: Record<string, unknown>, region: string): { id: string; state: Record<string, unknown> } {
    const { partition } = partitionOf(region);
    const arnBase = `arn:${partition}`;
    const physicalName = typeof inputs.name === "string" ? inputs.name : `${name}-${counter.toString(16)}`;
    switch (type) {
        case "aws:ec2/instance:Instance": {
            const id = fakeId("i-0abc");
            const octet = (counter + mockAws.publicIpShift) % 250;
            return {
                id,
                state: {
                    ...inputs,
                    arn: `${arnBase}:ec2:${region}:${mockAws.accountId}:instance/${id}`,
                    publicDns: `ec2-198-51-100-${octet}.compute-1.amazonaws.com`,
                    publicIp: `198.51.100.${octet}`,
                    privateIp: `10.0.0.${counter % 250}`,
                    ipv6Addresses: inputs.ipv6AddressCount ? [`2001:db8::${counter.toString(16)}`] : [],
                },
            };
        }
        case "aws:ec2/eip:Eip": {
            // 198.51.100.250-254: never an instance's own (changing) public IP above.
            const octet = 250 + nameNumber(name, 5);
            return {
                id: `eipalloc-${name}`,
                state: { ...inputs, publicIp: `198.51.100.${octet}`, publicDns: `ec2-198-51-100-${octet}.compute-1.amazonaws.com` },
            };
        }
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return {
                id: physicalName,
                state: { ...inputs, name: physicalName, arn: `${arnBase}:cloudwatch:${region}:${mockAws.accountId}:alarm:${physicalName}` },
            };
        case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
            return {
                id: physicalName,
                state: {
                    ...inputs,
                    alarmName: inputs.alarmName ?? physicalName,
                    arn: `${arnBase}:cloudwatch:${region}:${mockAws.accountId}:alarm:${inputs.alarmName ?? physicalName}`,
                },
            };
        case "aws:iam/role:Role":
        case "aws:iam/user:User":
        case "aws:iam/instanceProfile:InstanceProfile":
        case "aws:iam/policy:Policy": {
            const kind = type.split(":")[2].replace(/^./, (c) => c.toLowerCase());
            return {
                id: physicalName,
                state: { ...inputs, name: physicalName, arn: `${arnBase}:iam::${mockAws.accountId}:${kind}/${physicalName}` },
            };
        }
        case "aws:iam/accessKey:AccessKey":
            return { id: "AKIAMOCKMOCKMOCKMOCK", state: { ...inputs, secret: "mock-secret-access-key" } };
        case "aws:sns/topic:Topic":
            return {
                id: `${arnBase}:sns:${region}:${mockAws.accountId}:${physicalName}`,
                state: { ...inputs, name: physicalName, arn: `${arnBase}:sns:${region}:${mockAws.accountId}:${physicalName}` },
            };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { id: fakeId("sg-0abc"), state: { ...inputs, name: physicalName } };
        case "aws:lambda/function:Function":
            return {
                id: physicalName,
                state: { ...inputs, name: physicalName, arn: `${arnBase}:lambda:${region}:${mockAws.accountId}:function:${physicalName}` },
            };
        case "aws:cloudwatch/logGroup:LogGroup":
            return {
                id: physicalName,
                state: { ...inputs, name: physicalName, arn: `${arnBase}:logs:${region}:${mockAws.accountId}:log-group:${physicalName}` },
            };
        case "aws:cloudwatch/dashboard:Dashboard":
            return { id: String(inputs.dashboardName ?? physicalName), state: { ...inputs } };
        default:
            return { id: `${name}-id`, state: { ...inputs } };
    }
}

function callResult(token: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
    const { partition, dnsSuffix } = partitionOf(region);
    switch (token) {
        case "aws:index/getRegion:getRegion":
            return { id: region, name: region, region, endpoint: `ec2.${region}.${dnsSuffix}` };
        case "aws:index/getPartition:getPartition":
            return { id: partition, partition, dnsSuffix, reverseDnsPrefix: "com.amazonaws" };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                id: mockAws.accountId,
                accountId: mockAws.accountId,
                arn: `arn:${partition}:iam::${mockAws.accountId}:user/deployer`,
                userId: "AIDAMOCK",
            };
        case "aws:ec2/getAmi:getAmi":
            return {
                id: "ami-0123456789abcdef0",
                imageId: "ami-0123456789abcdef0",
                name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101",
            };
        case "aws:ec2/getInstance:getInstance": {
            const instanceId = String(inputs.instanceId ?? "");
            const known = mockAws.existingInstances.get(instanceId);
            if (!known) {
                throw new Error(`InvalidInstanceID.NotFound: The instance ID '${instanceId}' does not exist`);
            }
            return { id: instanceId, instanceId, ...known, instanceState: "running" };
        }
        default:
            return {};
    }
}

export async function installMocks(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
                const result = computedState(args.type, args.name, args.inputs as Record<string, unknown>, regionOf(args.provider));
                if (args.type === "pulumi:providers:aws" && typeof args.inputs.region === "string") {
                    providerRegions.set(result.id, args.inputs.region);
                }
                return result;
            },
            call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
                const inputs = args.inputs as Record<string, unknown>;
                calls.push({ token: args.token, inputs, provider: args.provider ?? "" });
                return callResult(args.token, inputs, regionOf(args.provider));
            },
        },
        "idle-stop",
        "test",
        false,
    );
    wrapMonitorToRecordRegistrations();
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getIgnorechangesList(): string[];
    getProvider(): string;
    getDependenciesList(): string[];
}
interface RegisterResponse {
    getUrn(): string;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type RegisterCallback = (err: unknown, response?: RegisterResponse) => void;
interface MonitorWithRegister {
    registerResource(req: RegisterRequest, callback: RegisterCallback): Promise<void>;
}

/** Records each registration, including the parent URN and the wire-form inputs. */
function wrapMonitorToRecordRegistrations(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, callback: RegisterCallback) =>
        original(req, (err, response) => {
            if (!err && response) {
                const wireInputs = req.getObject()?.toJavaScript() ?? {};
                recorded.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: response.getUrn(),
                    parentUrn: req.getParent(),
                    custom: req.getCustom(),
                    inputs: unwrapSecrets(wireInputs) as Record<string, unknown>,
                    wireInputs,
                    ignoreChanges: req.getIgnorechangesList(),
                    provider: req.getProvider(),
                    dependencies: req.getDependenciesList(),
                });
            }
            callback(err, response);
        });
}

export function isWireSecret(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[signatureKey] === secretSignature;
}

function unwrapSecrets(value: unknown): unknown {
    if (isWireSecret(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

export interface ProgramRun {
    readonly resources: RecordedResource[];
    readonly calls: RecordedCall[];
    /** The program module's exports, resolved to plain values (secrets unwrapped). */
    readonly outputs: Record<string, unknown>;
}

const repoRoot = path.resolve(__dirname, "..", "..");

/** Resolves any Output (or nested structure of Outputs) to its plain value. */
export function resolve<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((done) => pulumi.output(value).apply((v) => done(v)));
}

/** Forgets every module of the program so the next import builds a fresh resource graph. */
function forgetProgramModules(): void {
    for (const key of Object.keys(require.cache)) {
        if (key.startsWith(repoRoot) && !key.includes(`${path.sep}node_modules${path.sep}`) && !key.includes(`${path.sep}tests${path.sep}`)) {
            delete require.cache[key];
        }
    }
}

export async function settle(): Promise<void> {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    if (waitForRPCs) await waitForRPCs();
    // Registrations finish on later turns of the event loop; wait until nothing new arrives.
    let seen = -1;
    while (seen !== recorded.length) {
        seen = recorded.length;
        await new Promise((r) => setTimeout(r, 20));
        if (waitForRPCs) await waitForRPCs();
    }
}

/**
 * Runs `index.ts` (or another program module) with the given `idle-stop:` stack config and
 * returns what it declared. Config keys without a namespace get `idle-stop:`.
 */
export async function runProgram(config: Record<string, string>, programPath = path.join(repoRoot, "index.ts")): Promise<ProgramRun> {
    // Fresh ids per run, so two runs of one config declare the same values (all but what a test varies).
    counter = 0;
    recorded.length = 0;
    calls.length = 0;
    const full: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        full[key.includes(":") ? key : `idle-stop:${key}`] = value;
    }
    pulumi.runtime.setAllConfig(
        full,
        Object.keys(full).filter((k) => /sshPrivateKey|secret/i.test(k)),
    );
    forgetProgramModules();
    const program = (await import(programPath)) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = await resolve(value);
    }
    await settle();
    return { resources: [...recorded], calls: [...calls], outputs };
}

/** Runs a program and returns the error it throws (validation tests). */
export async function programError(config: Record<string, string>): Promise<Error> {
    try {
        await runProgram(config);
    } catch (err) {
        return err as Error;
    }
    throw new Error("the program accepted the config; expected it to be rejected");
}
