/**
 * The examples in examples/ cannot run here (no Pulumi CLI), so their use of the package is
 * checked against the package schema: every property they set exists (with the right nesting),
 * required ones are set, enum values are allowed, the private key comes from a secret, and the
 * outputs they read exist.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PackageSchema, packageSchema, referencedType, SchemaProperty, SchemaResource } from "../support/idle-stop-package";

const repoRoot = path.resolve(__dirname, "..", "..");
const examplesDir = path.join(repoRoot, "examples");

interface ExampleProject {
    name: string;
    runtime: string | { name: string };
    packages?: Record<string, string>;
    config?: Record<string, { type: string; secret?: boolean; default?: unknown }>;
    resources?: Record<string, { type: string; properties?: Record<string, unknown> }>;
    outputs?: Record<string, string>;
}

function readProject(dir: string): ExampleProject {
    return yaml.load(fs.readFileSync(path.join(examplesDir, dir, "Pulumi.yaml"), "utf8")) as ExampleProject;
}

function runtimeName(project: ExampleProject): string {
    return typeof project.runtime === "string" ? project.runtime : project.runtime.name;
}

/** snake_case (Python keyword arguments and dict keys) to the schema's camelCase. */
function camelCase(name: string): string {
    return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Checks one set of property values against the schema properties they are given to; `where` names them in messages. */
function checkProperties(
    schema: PackageSchema,
    where: string,
    values: Record<string, unknown>,
    properties: Record<string, SchemaProperty>,
    required: string[],
): void {
    for (const [name, value] of Object.entries(values)) {
        const property = properties[name];
        assert.ok(property, `${where}: "${name}" is not an input (inputs: ${Object.keys(properties).join(", ")})`);
        if (property.$ref) {
            const type = referencedType(schema, property);
            if (type.enum && typeof value === "string" && !value.startsWith("${")) {
                assert.ok(
                    type.enum.some((member) => member.value === value),
                    `${where}.${name}: "${value}" is not one of ${type.enum.map((m) => m.value).join(", ")}`,
                );
            }
            if (type.properties && typeof value === "object" && value !== null) {
                checkProperties(schema, `${where}.${name}`, value as Record<string, unknown>, type.properties, type.required ?? []);
            }
        }
    }
    for (const name of required) {
        assert.ok(name in values, `${where}: required input "${name}" is not set`);
    }
}

/** The text between the parenthesis that opens at `open` and its match, skipping string literals. */
function balanced(source: string, open: number): string {
    const closing: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
    const stack: string[] = [];
    for (let i = open; i < source.length; i++) {
        const c = source[i];
        if (c === '"' || c === "'") {
            const end = source.indexOf(c, i + 1);
            assert.ok(end > 0, "unterminated string in the example");
            i = end;
        } else if (closing[c]) {
            stack.push(closing[c]);
        } else if (c === stack[stack.length - 1]) {
            stack.pop();
            if (stack.length === 0) return source.slice(open + 1, i);
        }
    }
    throw new Error("unbalanced brackets in the example");
}

/** Splits a Python argument list (or dict body) at its top-level commas. */
function topLevelParts(text: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '"' || c === "'") i = text.indexOf(c, i + 1);
        else if ("([{".includes(c)) depth++;
        else if (")]}".includes(c)) depth--;
        else if (c === "," && depth === 0) {
            parts.push(text.slice(start, i));
            start = i + 1;
        }
    }
    parts.push(text.slice(start));
    return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** A Python value as far as the check needs it: dict literals (string keys, snake_case) become objects, string literals strings. */
function pythonValue(text: string): unknown {
    if (text.startsWith("{")) {
        const entries = topLevelParts(balanced(text, 0)).map((entry) => {
            const match = /^["']([A-Za-z0-9_]+)["']\s*:\s*([\s\S]+)$/.exec(entry);
            assert.ok(match, `dict entry ${entry} has no string key`);
            return [camelCase(match[1]), pythonValue(match[2].trim())];
        });
        return Object.fromEntries(entries);
    }
    const literal = /^["']([^"']*)["']$/.exec(text);
    return literal ? literal[1] : text;
}

describe("the examples use the package as its schema describes", function () {
    this.timeout(300_000);
    let schema: PackageSchema;
    let idleStop: SchemaResource;

    before(async () => {
        schema = await packageSchema();
        idleStop = schema.resources["idle-stop:index:IdleStop"];
    });

    for (const dir of ["yaml", "python"]) {
        it(`examples/${dir}/Pulumi.yaml adds this repository as package idle-stop`, () => {
            const project = readProject(dir);
            assert.equal(runtimeName(project), dir);
            const source = project.packages?.["idle-stop"];
            assert.ok(source, "a packages: entry for idle-stop");
            const packageDir = path.resolve(examplesDir, dir, source);
            assert.equal(packageDir, repoRoot);
            assert.ok(fs.existsSync(path.join(packageDir, "PulumiPlugin.yaml")), "the package source has a PulumiPlugin.yaml");
            assert.equal(project.config?.sshPrivateKey?.secret, true, "the private key is secret config");
        });
    }

    it("examples/yaml sets only IdleStop inputs, all required ones, and reads existing outputs", () => {
        const project = readProject("yaml");
        const watchers = Object.entries(project.resources ?? {});
        assert.equal(watchers.length, 1, "one watched instance");
        const [name, resource] = watchers[0];
        assert.ok(schema.resources[resource.type], `${resource.type} is a type of the package`);
        assert.equal(resource.type, "idle-stop:index:IdleStop");
        const properties = resource.properties ?? {};
        checkProperties(schema, `resources.${name}.properties`, properties, idleStop.inputProperties, idleStop.requiredInputs);
        assert.match(String(properties.instanceId), /^\$\{instanceId\}$/, "adopts the configured instance");
        assert.equal((properties.ssh as Record<string, unknown>).privateKey, "${sshPrivateKey}");
        const references = [...JSON.stringify(project.resources).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
        for (const reference of references) {
            assert.ok(project.config?.[reference], `\${${reference}} is declared config`);
        }
        for (const [output, expression] of Object.entries(project.outputs ?? {})) {
            const match = /^\$\{([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\}$/.exec(expression);
            assert.ok(match, `output ${output} reads a resource property`);
            assert.equal(match[1], name);
            assert.ok(idleStop.properties[match[2]], `output ${output}: IdleStop has no output ${match[2]}`);
        }
    });

    it("examples/python passes only IdleStop inputs (snake_case), all required ones, and reads existing outputs", () => {
        const source = fs.readFileSync(path.join(examplesDir, "python", "__main__.py"), "utf8");
        assert.match(source, /^import pulumi_idle_stop as idle_stop$/m, "the SDK pulumi package add generates for package idle-stop");
        const calls = [...source.matchAll(/(\w+)\s*=\s*idle_stop\.IdleStop\(/g)];
        assert.equal(calls.length, 1, "one watched instance");
        const variable = calls[0][1];
        const args = topLevelParts(balanced(source, calls[0].index + calls[0][0].length - 1));
        assert.match(args[0], /^"[a-z0-9-]+"$/, "the first argument is the resource name");
        const keywords: Record<string, unknown> = {};
        for (const arg of args.slice(1)) {
            const match = /^([a-z_][a-z0-9_]*)\s*=\s*([\s\S]+)$/.exec(arg);
            assert.ok(match, `argument ${arg} is a keyword argument`);
            keywords[camelCase(match[1])] = pythonValue(match[2].trim());
        }
        checkProperties(schema, "IdleStop(...)", keywords, idleStop.inputProperties, idleStop.requiredInputs);
        assert.match(String((keywords.ssh as Record<string, unknown>).privateKey), /require_secret\("sshPrivateKey"\)/);
        const read = [...source.matchAll(new RegExp(`\\b${variable}\\.([a-z_]+)`, "g"))].map((m) => camelCase(m[1]));
        assert.ok(read.length > 0, "the example exports outputs");
        for (const output of read) {
            assert.ok(idleStop.properties[output], `IdleStop has no output ${output}`);
        }
        const requirements = fs.readFileSync(path.join(examplesDir, "python", "requirements.txt"), "utf8");
        assert.match(requirements, /^\.\/sdks\/idle-stop$/m, "installs the generated SDK");
    });
});
