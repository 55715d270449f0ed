import { strict as assert } from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { idleStopDefaults } from "../../components/idle-stop";
import { ConfigSource, readStackConfig } from "../../program/stack-config";

interface ConfigDeclaration {
    type: string;
    default?: unknown;
    description?: string;
    secret?: boolean;
}
interface Project {
    name: string;
    runtime: { name: string };
    backend?: { url: string };
    config: Record<string, ConfigDeclaration>;
}

const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as Project;

/** What the Pulumi CLI hands the program: declared defaults, as strings, plus the stack's values. */
function cliConfig(values: Record<string, string>): { source: ConfigSource; requested: Set<string> } {
    const requested = new Set<string>();
    const lookup = (key: string): string | undefined => {
        requested.add(key);
        if (key in values) return values[key];
        const declared = project.config[key]?.default;
        if (declared === undefined) return undefined;
        return typeof declared === "string" ? declared : JSON.stringify(declared);
    };
    return {
        requested,
        source: {
            get: lookup,
            getSecret: (key) => {
                const value = lookup(key);
                return value === undefined ? undefined : pulumi.secret(value);
            },
        },
    };
}

describe("Pulumi.yaml", () => {
    it("is a nodejs project named idle-stop with a local state backend", () => {
        assert.equal(project.name, "idle-stop");
        assert.equal(project.runtime.name, "nodejs");
        assert.match(project.backend?.url ?? "", /^file:\/\//);
    });

    it("declares every key the program reads, each with a type and a description", () => {
        const { source, requested } = cliConfig({ sshPrivateKey: "k", keyName: "k" });
        readStackConfig(source);
        for (const key of requested) {
            if (key === "instances") continue; // a list of objects: Pulumi.yaml types cannot describe it
            const declared = project.config[key];
            assert.ok(declared, `idle-stop:${key} is read but not declared in Pulumi.yaml`);
            assert.ok(declared.type && declared.description, `idle-stop:${key} needs a type and description`);
        }
        for (const key of Object.keys(project.config)) {
            assert.ok(requested.has(key), `Pulumi.yaml declares idle-stop:${key} but the program never reads it`);
        }
    });

    it("has defaults the program accepts and that agree with the component's", () => {
        const { source } = cliConfig({ sshPrivateKey: "k", instanceId: "i-0123456789abcdef0" });
        const [watched] = readStackConfig(source).instances;
        assert.equal(watched.args.idleMinutes, idleStopDefaults.idleMinutes);
        assert.equal(project.config.idleMinutes.default, idleStopDefaults.idleMinutes);
        assert.equal(project.config.sshUser.default, idleStopDefaults.sshUser);
        assert.equal(project.config.sshPort.default, idleStopDefaults.sshPort);
        assert.equal(project.config.namespace.default, idleStopDefaults.namespace);
        assert.equal(project.config.metricName.default, idleStopDefaults.metricName);
        assert.equal(project.config.sampleSeconds.default, idleStopDefaults.sampleSeconds);
        assert.equal(project.config.nodeDistUrl.default, idleStopDefaults.nodeDistUrl);
        assert.equal(project.config.clientAliveInterval.default, idleStopDefaults.clientAliveIntervalSeconds);
        assert.equal(project.config.sshPrivateKey.secret, true);
    });

    it("declares the busy-work signals with the component's defaults (0 turns each off)", () => {
        for (const key of ["busyProcessPercent", "busyGpuPercent", "transferBytesPerMinute"] as const) {
            assert.equal(project.config[key]?.type, "integer", `idle-stop:${key} is an integer`);
            assert.equal(project.config[key].default, idleStopDefaults[key], `idle-stop:${key}'s default`);
            assert.match(project.config[key].description ?? "", /0 turns it off/);
        }
    });

    it("has an example stack that only sets declared keys", () => {
        const stack = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        for (const key of Object.keys(stack.config)) {
            const [namespace, name] = key.split(":");
            if (namespace === "aws") continue;
            assert.equal(namespace, "idle-stop");
            assert.ok(name in project.config || name === "instances", `Pulumi.dev.yaml sets undeclared ${key}`);
        }
    });
});
