/**
 * The idle-stop Pulumi package: the components other languages can use, and the provider that
 * serves their schema (inferred from this TypeScript source) and constructs them.
 * `pulumi package add` starts it through components/plugin.ts; tests call it in-process.
 */
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as fs from "fs";
import * as path from "path";
import { FleetDashboard } from "./fleet-dashboard-component";
import { IdleStop } from "./idle-stop";
import { NotificationTopic } from "./notification-topic";

/** The package root: package.json (name, version, entry), tsconfig.json (what the inference reads), PulumiPlugin.yaml. */
export const packageDir = path.resolve(__dirname, "..");

/** The components the package offers, as `idle-stop:index:<class name>`. */
export const packageComponents = [IdleStop, FleetDashboard, NotificationTopic];

/**
 * Inputs the schema marks secret, by type token. The inference cannot read this from the source,
 * so it is added here; every language's SDK then treats the value as a secret. (The component
 * wraps the key in `pulumi.secret` either way.)
 */
export const secretInputs: Readonly<Record<string, readonly string[]>> = {
    "idle-stop:index:SshConnection": ["privateKey"],
};

interface PackageJson {
    readonly name: string;
    readonly version: string;
}

/** The provider name Pulumi derives from package.json (as its run-plugin does): `idle-stop`. */
export function packageName(): string {
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as PackageJson;
    return manifest.name.replace(/^@[^/]+\//, "").replace(/[^-a-zA-Z0-9_]/g, "-");
}

interface SchemaProperty {
    secret?: boolean;
}
interface PackageSchema {
    resources: Record<string, { inputProperties: Record<string, SchemaProperty> }>;
    types: Record<string, { properties?: Record<string, SchemaProperty> }>;
}

/** Adds `secret: true` to the inputs listed in secretInputs; a listed input that no longer exists is an error. */
export function markSecretInputs(schemaJson: string): string {
    const schema = JSON.parse(schemaJson) as PackageSchema;
    for (const [token, names] of Object.entries(secretInputs)) {
        const properties = schema.types[token]?.properties ?? schema.resources[token]?.inputProperties;
        for (const name of names) {
            const property = properties?.[name];
            if (!property) {
                throw new Error(`idle-stop package: secret input ${token}.${name} is not in the inferred schema`);
            }
            property.secret = true;
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
        this.markedSchema ??= markSecretInputs(await super.getSchema());
        return this.markedSchema;
    }
}
