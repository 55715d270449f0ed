/**
 * The idle-stop Pulumi package: the components other languages can use, and the provider that
 * serves their schema (inferred from this TypeScript source) and constructs them.
 * `pulumi package add` starts it through provider/plugin.ts; tests call it in-process.
 */
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as fs from "fs";
import * as path from "path";
import { FleetDashboard } from "../components/fleet-dashboard-component";
import { IdleStop } from "../components/idle-stop";
import { NotificationTopic } from "../components/notification-topic";

/** The package root: package.json (name, version, entry), tsconfig.json (what the inference reads), PulumiPlugin.yaml. */
export const packageDir = path.resolve(__dirname, "..");

/** The components the package offers, as `idle-stop:index:<class name>`. */
export const packageComponents = [IdleStop, FleetDashboard, NotificationTopic];

/** What the inference cannot read from TypeScript types: a secret value, a whole number. */
interface PropertyRefinement {
    readonly secret?: true;
    readonly integer?: true;
}

/**
 * Refinements of the inferred schema, by type token and property name (for a component: its input
 * and its output of that name). The private key is marked secret, so every language's SDK treats
 * it as one (the component wraps it in `pulumi.secret` either way); whole-number settings become
 * `integer`, so Go, C# and Python get int types instead of floats. A listed property that is no
 * longer in the schema is an error.
 */
const schemaRefinements: Readonly<Record<string, Readonly<Record<string, PropertyRefinement>>>> = {
    "idle-stop:index:IdleStop": {
        idleMinutes: { integer: true },
        silentMinutes: { integer: true },
        warnMinutes: { integer: true },
        sampleSeconds: { integer: true },
        clientAliveIntervalSeconds: { integer: true },
        clientAliveCountMax: { integer: true },
        sshPort: { integer: true },
        sessionIdleMinutes: { integer: true },
        busyCpuPercent: { integer: true },
        busyProcessPercent: { integer: true },
        busyGpuPercent: { integer: true },
        transferBytesPerMinute: { integer: true },
    },
    "idle-stop:index:SshConnection": { privateKey: { secret: true }, port: { integer: true } },
    "idle-stop:index:NewInstance": { rootVolumeGb: { integer: true } },
    "idle-stop:index:DashboardEntry": { idleMinutes: { integer: true } },
};

interface PackageJson {
    readonly name: string;
    readonly version: string;
}

/** The provider name Pulumi derives from package.json (as its run-plugin does): `idle-stop`. */
function packageName(): string {
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as PackageJson;
    return manifest.name.replace(/^@[^/]+\//, "").replace(/[^-a-zA-Z0-9_]/g, "-");
}

interface SchemaProperty {
    type?: string;
    secret?: boolean;
}
type Properties = Record<string, SchemaProperty>;
interface PackageSchema {
    resources: Record<string, { inputProperties: Properties; properties: Properties }>;
    types: Record<string, { properties?: Properties }>;
}

/** Applies schemaRefinements to an inferred schema (JSON in, JSON out). */
export function refineSchema(schemaJson: string): string {
    const schema = JSON.parse(schemaJson) as PackageSchema;
    for (const [token, refinements] of Object.entries(schemaRefinements)) {
        const resource = schema.resources[token];
        const propertySets = resource ? [resource.inputProperties, resource.properties] : [schema.types[token]?.properties ?? {}];
        for (const [name, refinement] of Object.entries(refinements)) {
            const found = propertySets.map((properties) => properties[name]).filter((property) => property !== undefined);
            if (found.length === 0) {
                throw new Error(`idle-stop package: ${token}.${name} (listed in schemaRefinements) is not in the inferred schema`);
            }
            for (const property of found) {
                if (refinement.secret) property.secret = true;
                if (refinement.integer) {
                    if (property.type !== "number" && property.type !== "integer")
                        throw new Error(`idle-stop package: ${token}.${name} is inferred as ${property.type}, not a number`);
                    property.type = "integer";
                }
            }
        }
    }
    return JSON.stringify(schema);
}

export class IdleStopProvider extends ComponentProvider {
    private markedSchema?: string;

    constructor() {
        super({ components: packageComponents, name: packageName(), dirname: packageDir });
    }

    async getSchema(): Promise<string> {
        this.markedSchema ??= refineSchema(await super.getSchema());
        return this.markedSchema;
    }
}
