/**
 * The idle-stop package's provider, built once per mocha process: inferring the schema compiles
 * the whole TypeScript program (about 10 s here), and the schema, construct and example tests all
 * need it.
 */
import { IdleStopProvider } from "../../provider/package-provider";

export interface SchemaProperty {
    readonly type?: string;
    readonly $ref?: string;
    readonly items?: SchemaProperty;
    readonly additionalProperties?: SchemaProperty;
    readonly description?: string;
    readonly optional?: boolean;
    readonly plain?: boolean;
    readonly secret?: boolean;
}

export interface SchemaResource {
    readonly isComponent: boolean;
    readonly description?: string;
    readonly inputProperties: Record<string, SchemaProperty>;
    readonly requiredInputs: string[];
    readonly properties: Record<string, SchemaProperty>;
    readonly required: string[];
}

export interface SchemaType {
    readonly type: string;
    readonly properties?: Record<string, SchemaProperty>;
    readonly required?: string[];
    readonly enum?: Array<{ name: string; value: string; description?: string }>;
}

export interface PackageSchema {
    readonly name: string;
    readonly version: string;
    readonly resources: Record<string, SchemaResource>;
    readonly types: Record<string, SchemaType>;
    readonly dependencies: Array<{ name: string; version: string }>;
}

let provider: IdleStopProvider | undefined;

export function packageProvider(): IdleStopProvider {
    provider ??= new IdleStopProvider();
    return provider;
}

export async function packageSchema(): Promise<PackageSchema> {
    return JSON.parse(await packageProvider().getSchema()) as PackageSchema;
}

/** The schema type a `$ref` names (`#/types/<token>`). */
export function referencedType(schema: PackageSchema, property: SchemaProperty): SchemaType {
    const token = property.$ref?.replace(/^#\/types\//, "");
    const type = token ? schema.types[token] : undefined;
    if (!type) throw new Error(`no type behind ${JSON.stringify(property)}`);
    return type;
}
