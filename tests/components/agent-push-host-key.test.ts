// The agent push's pinned host key (sshHostKey, in the stack config and the component's args) on Pulumi mocks: it reaches both SSH connections in the form pulumi-command parses, and a malformed one is refused naming the key.
import { strict as assert } from "assert";
import { normalizeSshHostKey } from "../../common/ssh-host-key";
import { resolveIdleStopArgs } from "../../components/idle-stop";
import { programError, recorded, runProgram } from "../support/pulumi-mocks";
import { single } from "../support/resources";
import { adoptedConfig, adoptedInstanceId, createdConfig, testPrivateKey } from "../support/stack-configs";

const ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPu5fs5STVzIavBDyTft8aX+S7LMifcLGpfVAFLPPMhm";
const ecdsa =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEzMaUnDFafmh1lbelgOy1D3VusolZjWsGjQ5qZUU98zqf7YwTsiTBNPj6rQkGrZxa4p0rKpoK25egTJ7BWhDGA=";
const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCowT0eL7JJ4/sziOyw/Tj8";

function connections(resources: typeof recorded): Array<Record<string, unknown>> {
    return ["command:remote:CopyToRemote", "command:remote:Command"].map(
        (type) => single(resources, type).inputs.connection as Record<string, unknown>,
    );
}

describe("agent push: pinned SSH host key (finding 8)", () => {
    it("passes sshHostKey to both connections (copy and install) as TYPE BASE64", async () => {
        // As users paste it: a known_hosts line (host names first) with a comment after the key.
        const run = await runProgram(adoptedConfig({ sshHostKey: `[box.example]:2022,203.0.113.10 ${ed25519} root@box\n` }));
        for (const connection of connections(run.resources)) {
            assert.equal(connection.hostKey, ed25519);
        }
        const created = await runProgram(createdConfig({ sshHostKey: ecdsa }));
        for (const connection of connections(created.resources)) {
            assert.equal(connection.hostKey, ecdsa);
        }
    });

    it("pins each fleet entry's own key, and none for an entry without one", async () => {
        const instances = JSON.stringify([
            { name: "web", instanceId: adoptedInstanceId, sshHostKey: ed25519 },
            { name: "db", instanceId: adoptedInstanceId },
        ]);
        const run = await runProgram(adoptedConfig({ instanceId: "", instances }));
        const byName = (name: string) => run.resources.find((r) => r.type === "command:remote:Command" && r.name === `${name}-agent`);
        assert.equal((byName("web")?.inputs.connection as Record<string, unknown>).hostKey, ed25519);
        assert.equal((byName("db")?.inputs.connection as Record<string, unknown>).hostKey, undefined);
    });

    it("leaves the host key unchecked when none is pinned (trust on first use, docs/security.md)", async () => {
        const run = await runProgram(adoptedConfig());
        for (const connection of connections(run.resources)) {
            assert.ok(!("hostKey" in connection) || connection.hostKey === undefined);
        }
    });

    const malformed: Array<[string, string]> = [
        ["an RSA key (pulumi-command would offer only ssh-rsa/SHA-1)", rsa],
        ["a truncated key", ed25519.slice(0, -8)],
        ["a type that does not match the key", `ssh-ed25519 ${ecdsa.split(" ")[1]}`],
        ["two keys on two lines", `${ed25519}\n${ecdsa}`],
        ["a known_hosts marker line", `@cert-authority *.example ${ed25519}`],
        ["a fingerprint, not a key", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"],
        ["a private key", testPrivateKey],
        ["an escape sequence in the comment", `${ed25519} \u001b[2Jroot`],
    ];
    for (const [what, value] of malformed) {
        it(`refuses ${what} at preview, naming the key`, async () => {
            const error = await programError(adoptedConfig({ sshHostKey: value }));
            assert.ok(error.message.includes("idle-stop:sshHostKey"), error.message);
            assert.match(error.message, /one public host key line, "ssh-ed25519 AAAA\.\.\."/);
            assert.equal(recorded.length, 0, "no resource is declared");
        });
    }

    it("names a fleet entry's key and a component caller's sshHostKey", async () => {
        const instances = JSON.stringify([{ name: "web", instanceId: adoptedInstanceId, sshHostKey: rsa }]);
        const error = await programError(adoptedConfig({ instanceId: "", instances }));
        assert.match(error.message, /idle-stop:instances\[0\] "web"\.sshHostKey: "ssh-rsa /);
        assert.throws(
            () => resolveIdleStopArgs({ instanceId: adoptedInstanceId, ssh: { privateKey: testPrivateKey }, sshHostKey: "ssh-ed25519 AAAA" }),
            /^InvalidSettingError: sshHostKey: "ssh-ed25519 AAAA" is not allowed/,
        );
    });

    it("accepts the key line forms users have at hand", () => {
        for (const line of [ed25519, `${ed25519} root@box`, `  ${ed25519}\n`, `203.0.113.10 ${ed25519}`, `|1|c2FsdA==|aGFzaA== ${ecdsa}`]) {
            assert.ok(normalizeSshHostKey(line) !== undefined, line);
        }
    });
});
