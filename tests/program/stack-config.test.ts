import { strict as assert } from "assert";
import { programError, recorded } from "../support/pulumi-mocks";
import { adoptedConfig, adoptedInstanceId, createdConfig, testPrivateKey } from "../support/stack-configs";

/** Each bad value must fail the program before any resource is declared, naming the key. */
async function assertRejected(config: Record<string, string>, key: string, value: string | undefined, allowed: RegExp): Promise<void> {
    const error = await programError(config);
    assert.ok(error.message.includes(`idle-stop:${key}`), `message names the key: ${error.message}`);
    if (value !== undefined) {
        assert.ok(error.message.includes(JSON.stringify(value)), `message shows the value: ${error.message}`);
    }
    assert.match(error.message, allowed);
    assert.equal(recorded.length, 0, "no resource may be declared before validation passes");
}

describe("stack config validation", () => {
    for (const value of ["0", "1441", "2.5", "abc", "-5", "15 minutes"]) {
        it(`rejects idleMinutes ${JSON.stringify(value)}`, async () => {
            await assertRejected(adoptedConfig({ idleMinutes: value }), "idleMinutes", value, /whole number from 1 to 1440/);
        });
    }

    for (const value of ["i-123", "i-0123456789ABCDEF0", "0123456789abcdef0", "i-0123456789abcdef01", "vol-0123456789abcdef0"]) {
        it(`rejects malformed instanceId ${value}`, async () => {
            await assertRejected({ sshPrivateKey: testPrivateKey, instanceId: value }, "instanceId", value, /"i-" followed by 8 or 17/);
        });
    }

    it("accepts the 8-digit instance id form", async () => {
        const error = await programError({ instanceId: "i-0123abcd", credentials: "bogus", sshPrivateKey: "k" });
        assert.match(error.message, /idle-stop:credentials/, "got past instanceId to the next check");
    });

    it("requires sshPrivateKey", async () => {
        await assertRejected({ instanceId: "i-0123456789abcdef0" }, "sshPrivateKey", undefined, /pulumi config set --secret sshPrivateKey/);
    });

    for (const value of ["instance_profile", "access-key", "IAM-USER"]) {
        it(`rejects unknown credentials mode ${value}`, async () => {
            await assertRejected(adoptedConfig({ credentials: value }), "credentials", value, /one of "instance-profile", "iam-user"/);
        });
    }

    it("refuses an instance profile for an adopted instance (it would modify it)", async () => {
        await assertRejected(adoptedConfig({ credentials: "instance-profile" }), "credentials", "instance-profile", /never modifies|never does/);
    });

    it("refuses new-instance settings together with instanceId", async () => {
        await assertRejected(adoptedConfig({ keyName: "dev-key" }), "keyName", "dev-key", /adopts an existing instance/);
    });

    it("needs a key pair to log in to a created instance", async () => {
        await assertRejected({ sshPrivateKey: testPrivateKey }, "keyName", undefined, /EC2 key pair name/);
    });

    it("rejects bad ports, sample intervals, CIDRs and URLs", async () => {
        await assertRejected(adoptedConfig({ sshPort: "70000" }), "sshPort", "70000", /1 to 65535/);
        await assertRejected(adoptedConfig({ sampleSeconds: "0" }), "sampleSeconds", "0", /1 to 60/);
        await assertRejected(adoptedConfig({ sessionIdleMinutes: "1441" }), "sessionIdleMinutes", "1441", /0 to 1440/);
        await assertRejected(adoptedConfig({ busyCpuPercent: "101" }), "busyCpuPercent", "101", /0 to 100/);
        await assertRejected(createdConfig({ sshIngressCidrs: '["10.0.0.0/33"]' }), "sshIngressCidrs", "10.0.0.0/33", /IPv4 CIDR/);
        await assertRejected(createdConfig({ sshIngressCidrs: "10.0.0.0/8" }), "sshIngressCidrs", "10.0.0.0/8", /list of strings/);
        await assertRejected(adoptedConfig({ nodeDistUrl: "ftp://mirror" }), "nodeDistUrl", "ftp://mirror", /an https URL/);
        // The checksum file comes from the same server: plain http would let the path swap both.
        await assertRejected(
            adoptedConfig({ nodeDistUrl: "http://mirror.example.com/dist" }),
            "nodeDistUrl",
            "http://mirror.example.com/dist",
            /an https URL \(plain http only for 127\.0\.0\.1\/localhost\)/,
        );
        await assertRejected(adoptedConfig({ name: "Dev_Box" }), "name", "Dev_Box", /lowercase letters/);
    });

    // The busy-work signals (docs/reference/configuration.md): each a whole number in its range, 0 = off.
    const busyWork: Array<[key: string, bad: string[], allowed: RegExp]> = [
        ["busyProcessPercent", ["101", "-1", "2.5", "high"], /whole number from 0 to 100/],
        ["busyGpuPercent", ["101", "-1", "10%"], /whole number from 0 to 100/],
        ["transferBytesPerMinute", ["1000000001", "-1", "1MiB"], /whole number from 0 to 1000000000/],
    ];
    for (const [key, values, allowed] of busyWork) {
        it(`rejects bad ${key} values, naming the key and what is allowed`, async () => {
            for (const value of values) {
                await assertRejected(adoptedConfig({ [key]: value }), key, value, allowed);
            }
        });

        it(`rejects a bad ${key} in a fleet entry, naming the entry's field`, async () => {
            const entries = [{ name: "alice", instanceId: adoptedInstanceId, [key]: values[0] }];
            await assertRejected(
                adoptedConfig({ instanceId: "", instances: JSON.stringify(entries) }),
                `instances[0] "alice".${key}`,
                values[0],
                allowed,
            );
        });
    }

    // The user and the name go into ssh_config (`User`, `Host`) and ssh command lines.
    for (const value of ["bad user", "-oProxyCommand=x", "dev%h", "a".repeat(33)]) {
        it(`rejects sshUser ${JSON.stringify(value)}`, async () => {
            await assertRejected(adoptedConfig({ sshUser: value }), "sshUser", value, /a user name: a letter or '_'/);
        });
    }

    it("accepts user names with a dot, a dash or an underscore", async () => {
        for (const value of ["bob.smith", "ec2-user", "_build"]) {
            // The namespace is checked after the user: failing on it shows the user passed.
            const error = await programError(adoptedConfig({ sshUser: value, namespace: ":bad" }));
            assert.match(error.message, /idle-stop:namespace/, `got past sshUser ${value} to the next check`);
        }
    });

    for (const value of ["dev-", "1box", "a".repeat(31)]) {
        it(`rejects the name ${JSON.stringify(value)} (it becomes a Host alias)`, async () => {
            await assertRejected(adoptedConfig({ name: value }), "name", value, /1-30 lowercase letters, digits and '-'/);
        });
    }
});
