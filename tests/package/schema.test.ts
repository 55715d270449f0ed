import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { credentialsModes } from "../../components/agent-identity";
import { instanceActions } from "../../components/idle-alarm";
import { idleStopDefaults } from "../../components/idle-stop";
import { refineSchema } from "../../provider/package-provider";
import { formatSchema, regenerateCommand, schemaFile } from "../../provider/schema-file";
import { PackageSchema, packageProvider, packageSchema, referencedType, SchemaProperty } from "../support/idle-stop-package";

const idleStopToken = "idle-stop:index:IdleStop";

/** What each IdleStop input must look like to other languages: its schema type, whether it is required, whether it is plain (no outputs). */
const expectedIdleStopInputs: Record<string, { type: string; required?: boolean; plain: boolean; says: RegExp }> = {
    instanceId: { type: "string", plain: true, says: /adopt.*`i-` \+ 8 or 17 hex digits/is },
    instance: { type: "#/types/idle-stop:index:NewInstance", plain: true, says: /instance idle-stop creates.*not.*together with `instanceId`/is },
    idleMinutes: { type: "integer", plain: true, says: /1\.\.1440\. Default 15\./ },
    ssh: { type: "#/types/idle-stop:index:SshConnection", required: true, plain: true, says: /SSH settings/ },
    credentials: {
        type: "#/types/idle-stop:index:CredentialsMode",
        plain: true,
        says: /`instance-profile` for a created instance and\s+`iam-user` for an adopted one/,
    },
    action: { type: "#/types/idle-stop:index:InstanceAction", plain: true, says: /Default `stop`/ },
    allowTerminateAdopted: { type: "boolean", plain: true, says: /Default false/ },
    silentMinutes: { type: "integer", plain: true, says: /5\.\.1440\. Default 10\./ },
    warnMinutes: { type: "integer", plain: true, says: /0 disables\. Default 5\./ },
    notificationTopicArn: { type: "string", plain: false, says: /SNS topic/ },
    namespace: { type: "string", plain: true, says: /Default `IdleStop`/ },
    metricName: { type: "string", plain: true, says: /Default `ActiveSessions`/ },
    sampleSeconds: { type: "integer", plain: true, says: /1\.\.60\. Default 10\./ },
    nodeDistUrl: { type: "string", plain: true, says: /Default `https:\/\/nodejs\.org\/dist`/ },
    clientAliveIntervalSeconds: { type: "integer", plain: true, says: /0 leaves sshd alone\. Default 60\./ },
    clientAliveCountMax: { type: "integer", plain: true, says: /Default 3\./ },
    tags: { type: "map of string", plain: true, says: /Tags for every taggable resource/ },
};

const expectedIdleStopOutputs: Record<string, string> = {
    instanceId: "string",
    adopted: "boolean",
    alarmName: "string",
    alarmArn: "string",
    silentAlarmName: "string",
    silentAlarmArn: "string",
    idleMinutes: "integer",
    namespace: "string",
    metricName: "string",
    sshCommand: "string",
    alarmConsoleUrl: "string",
    silentAlarmConsoleUrl: "string",
    agentRelease: "string",
};

/** A property's type in one word: a primitive, a `$ref`, `array of X` or `map of X`. */
function typeOf(property: SchemaProperty): string {
    if (property.$ref) return property.$ref;
    if (property.type === "array" && property.items) return `array of ${typeOf(property.items)}`;
    if (property.type === "object" && property.additionalProperties) return `map of ${typeOf(property.additionalProperties)}`;
    return String(property.type);
}

/** Path of the first place two JSON values differ, to say what drifted. */
function firstDifference(committed: unknown, current: unknown, at: string): string {
    if (typeof committed !== "object" || typeof current !== "object" || committed === null || current === null) {
        return committed === current ? "(formatting only)" : at;
    }
    const keys = [...new Set([...Object.keys(committed), ...Object.keys(current)])];
    for (const key of keys) {
        const a = (committed as Record<string, unknown>)[key];
        const b = (current as Record<string, unknown>)[key];
        if (JSON.stringify(a) !== JSON.stringify(b)) return firstDifference(a, b, `${at}.${key}`);
    }
    return "(key order or formatting only)";
}

function installedVersion(npmPackage: string): string {
    const manifest = path.join(__dirname, "..", "..", "node_modules", npmPackage, "package.json");
    return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
}

describe("the idle-stop package schema (inferred from the TypeScript source)", function () {
    // The inference compiles the whole program once (shared with the construct tests).
    this.timeout(300_000);
    let schema: PackageSchema;

    before(async () => {
        schema = await packageSchema();
    });

    it("offers IdleStop, FleetDashboard and NotificationTopic as components of package idle-stop", () => {
        assert.equal(schema.name, "idle-stop");
        assert.equal(
            schema.version,
            (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version,
        );
        assert.deepEqual(Object.keys(schema.resources).sort(), [
            "idle-stop:index:FleetDashboard",
            "idle-stop:index:IdleStop",
            "idle-stop:index:NotificationTopic",
        ]);
        for (const [token, resource] of Object.entries(schema.resources)) {
            assert.equal(resource.isComponent, true, token);
            assert.ok(resource.description && resource.description.length > 20, `${token} has a description`);
        }
    });

    it("describes every IdleStop input with its type, optionality and documentation", () => {
        const idleStop = schema.resources[idleStopToken];
        for (const [name, expected] of Object.entries(expectedIdleStopInputs)) {
            const input = idleStop.inputProperties[name];
            assert.ok(input, `input ${name} is in the schema`);
            assert.equal(typeOf(input), expected.type, `type of ${name}`);
            assert.equal(idleStop.requiredInputs.includes(name), expected.required === true, `${name} required?`);
            assert.equal(input.optional === true, expected.required !== true, `${name} optional?`);
            assert.equal(input.plain === true, expected.plain, `${name} plain?`);
            assert.match(String(input.description), expected.says, `description of ${name}`);
        }
        // Inputs added later need no entry above to be checked for the basics.
        for (const [name, input] of Object.entries(idleStop.inputProperties)) {
            assert.ok(input.type || input.$ref, `${name} has a type`);
            assert.ok(input.description && input.description.trim().length > 0, `${name} has a description (its JSDoc)`);
        }
    });

    it("states each default that the component applies", () => {
        const inputs = schema.resources[idleStopToken].inputProperties;
        const documented: Array<[string, string | number]> = [
            ["idleMinutes", idleStopDefaults.idleMinutes],
            ["silentMinutes", idleStopDefaults.silentMinutes],
            ["warnMinutes", idleStopDefaults.warnMinutes],
            ["namespace", idleStopDefaults.namespace],
            ["metricName", idleStopDefaults.metricName],
            ["sampleSeconds", idleStopDefaults.sampleSeconds],
            ["nodeDistUrl", idleStopDefaults.nodeDistUrl],
            ["clientAliveIntervalSeconds", idleStopDefaults.clientAliveIntervalSeconds],
            ["clientAliveCountMax", idleStopDefaults.clientAliveCountMax],
            ["action", idleStopDefaults.action],
        ];
        for (const [name, value] of documented) {
            assert.match(
                String(inputs[name].description),
                new RegExp(`Default \`?${String(value).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\`?`),
                name,
            );
        }
        const ssh = referencedType(schema, inputs.ssh).properties!;
        assert.match(String(ssh.user.description), new RegExp(`Default \`${idleStopDefaults.sshUser}\``));
        assert.match(String(ssh.port.description), new RegExp(`Default ${idleStopDefaults.sshPort}`));
    });

    it("marks the SSH private key as a required secret", () => {
        const ssh = referencedType(schema, schema.resources[idleStopToken].inputProperties.ssh);
        assert.deepEqual(Object.keys(ssh.properties!).sort(), ["currentAddress", "host", "port", "privateKey", "user"]);
        assert.equal(ssh.properties!.privateKey.secret, true);
        assert.equal(ssh.properties!.privateKey.type, "string");
        assert.equal(ssh.properties!.port.type, "integer");
        assert.deepEqual(ssh.required, ["privateKey"]);
        assert.equal(ssh.properties!.host.plain, undefined, "host may be an output (e.g. an Elastic IP)");
        for (const [name, property] of Object.entries(ssh.properties!)) {
            if (name !== "privateKey") assert.notEqual(property.secret, true, `${name} is not secret`);
        }
    });

    it("turns credentials and action into string enums with the values the component accepts", () => {
        const inputs = schema.resources[idleStopToken].inputProperties;
        const values = (name: string) => referencedType(schema, inputs[name]).enum!.map((member) => member.value);
        assert.equal(referencedType(schema, inputs.credentials).type, "string");
        assert.deepEqual(values("credentials"), [...credentialsModes]);
        assert.deepEqual(values("credentials"), ["instance-profile", "iam-user"]);
        assert.deepEqual(values("action"), [...instanceActions]);
        assert.deepEqual(values("action"), ["stop", "terminate", "hibernate"]);
        for (const member of [...referencedType(schema, inputs.credentials).enum!, ...referencedType(schema, inputs.action).enum!]) {
            assert.ok(member.description, `enum member ${member.value} is documented`);
        }
    });

    it("describes the settings of a created instance", () => {
        const instance = referencedType(schema, schema.resources[idleStopToken].inputProperties.instance);
        assert.deepEqual(instance.required, []);
        assert.equal(typeOf(instance.properties!.sshIngressCidrs), "array of string");
        assert.equal(typeOf(instance.properties!.rootVolumeGb), "integer");
        assert.equal(instance.properties!.instanceType.plain, undefined, "instanceType may be an output");
        for (const [name, property] of Object.entries(instance.properties!)) {
            assert.ok(property.description, `instance.${name} is documented`);
        }
    });

    it("lists IdleStop's outputs, all documented; the created instance is an optional aws:ec2 Instance reference", () => {
        const idleStop = schema.resources[idleStopToken];
        for (const [name, type] of Object.entries(expectedIdleStopOutputs)) {
            assert.ok(idleStop.properties[name], `output ${name}`);
            assert.equal(typeOf(idleStop.properties[name]), type, `type of output ${name}`);
            assert.ok(idleStop.required.includes(name), `output ${name} is always set`);
        }
        const awsVersion = installedVersion("@pulumi/aws");
        assert.equal(idleStop.properties.instance.$ref, `/aws/v${awsVersion}/schema.json#/resources/aws:ec2%2Finstance:Instance`);
        assert.equal(idleStop.properties.instance.optional, true);
        assert.deepEqual(schema.dependencies, [{ name: "aws", version: awsVersion }]);
        for (const [name, output] of Object.entries(idleStop.properties)) {
            assert.ok(output.description, `output ${name} is documented`);
        }
    });

    it("describes FleetDashboard and NotificationTopic", () => {
        const dashboard = schema.resources["idle-stop:index:FleetDashboard"];
        assert.deepEqual(dashboard.requiredInputs, ["instances"]);
        const entry = referencedType(schema, dashboard.inputProperties.instances.items!);
        assert.deepEqual(entry.required, ["instanceId", "name"]);
        assert.equal(entry.properties!.idleMinutes.type, "integer");
        for (const fromOutput of ["instanceId", "idleMinutes", "namespace", "metricName"]) {
            assert.equal(entry.properties![fromOutput].plain, undefined, `${fromOutput} takes an IdleStop output`);
        }
        assert.deepEqual(Object.keys(dashboard.properties).sort(), ["consoleUrl", "dashboardName"]);
        const topic = schema.resources["idle-stop:index:NotificationTopic"];
        assert.equal(typeOf(topic.inputProperties.emails), "array of string");
        assert.deepEqual(topic.requiredInputs, ["emails"]);
        assert.deepEqual(Object.keys(topic.properties), ["topicArn"]);
    });

    it("refuses to refine a property the inference no longer produces (a rename must update the list)", () => {
        const withoutKey = JSON.parse(JSON.stringify(schema)) as { types: Record<string, { properties: Record<string, unknown> }> };
        delete withoutKey.types["idle-stop:index:SshConnection"].properties.privateKey;
        assert.throws(
            () => refineSchema(JSON.stringify(withoutKey)),
            /idle-stop:index:SshConnection\.privateKey \(listed in schemaRefinements\) is not in the inferred schema/,
        );
    });

    it("matches the committed schema.json", async () => {
        const committed = fs.existsSync(schemaFile) ? fs.readFileSync(schemaFile, "utf8") : "(missing)";
        const current = formatSchema(await packageProvider().getSchema());
        const where =
            committed === "(missing)"
                ? "the file is missing"
                : `first difference at ${firstDifference(JSON.parse(committed), JSON.parse(current), "$")}`;
        assert.ok(committed === current, `schema.json does not match the components' source (${where}); regenerate it with: ${regenerateCommand}`);
    });
});
