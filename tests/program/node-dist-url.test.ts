// nodeDistUrl's "http only on loopback" rule (common/download-url.ts) at preview: the bypass strings are refused naming the key, and only the normalized URL travels on.
import { strict as assert } from "assert";
import { resolveIdleStopArgs } from "../../components/idle-stop";
import { nodeUserData } from "../../components/node-user-data";
import { programError, recorded, runProgram } from "../support/pulumi-mocks";
import { single } from "../support/resources";
import { bypassUrls } from "../support/download-urls";
import { adoptedConfig, adoptedInstanceId, createdConfig, testPrivateKey } from "../support/stack-configs";

describe("nodeDistUrl: no userinfo, '@', '\\' or whitespace (finding 6)", () => {
    for (const url of bypassUrls) {
        it(`refuses ${JSON.stringify(url)} at preview, naming the key`, async () => {
            const error = await programError(adoptedConfig({ nodeDistUrl: url }));
            assert.ok(error.message.includes("idle-stop:nodeDistUrl"), error.message);
            assert.ok(error.message.includes(JSON.stringify(url)), `shows the value: ${error.message}`);
            assert.match(error.message, /no user info, '@', '\\', spaces, control characters/);
            assert.equal(recorded.length, 0, "no resource is declared");
        });
    }

    it("names a fleet entry's own nodeDistUrl", async () => {
        const instances = JSON.stringify([{ name: "web", instanceId: adoptedInstanceId, nodeDistUrl: "http://localhost:80\\@evil.example/" }]);
        const error = await programError(adoptedConfig({ instanceId: "", instances }));
        assert.match(error.message, /idle-stop:instances\[0\] "web"\.nodeDistUrl/);
    });

    it("refuses them from a component caller too, in nodeDistUrl and instance.nodeDistUrl", () => {
        const adopted = { instanceId: adoptedInstanceId, ssh: { privateKey: testPrivateKey } };
        const created = { instance: { keyName: "k", nodeDistUrl: "http://127.0.0.1@evil/" }, ssh: { privateKey: testPrivateKey } };
        assert.throws(() => resolveIdleStopArgs({ ...adopted, nodeDistUrl: "https://user@host/" }), /^InvalidSettingError: nodeDistUrl: /);
        assert.throws(() => resolveIdleStopArgs(created), /instance\.nodeDistUrl: "http:\/\/127\.0\.0\.1@evil\/" is not allowed/);
        assert.throws(() => nodeUserData("http://localhost:80\\@evil.example/"), /instance\.nodeDistUrl/);
    });

    it("passes the normalized URL to the installer and the user data", async () => {
        const adopted = await runProgram(adoptedConfig({ nodeDistUrl: "https://Mirror.Example.com:443/node/dist//" }));
        const create = String(single(adopted.resources, "command:remote:Command").inputs.create);
        assert.match(create, / --node-dist-url https:\/\/mirror\.example\.com\/node\/dist( |$)/);
        const created = await runProgram(createdConfig({ nodeDistUrl: "https://Mirror.Example.com:443/dist/" }));
        const userData = String(single(created.resources, "aws:ec2/instance:Instance").inputs.userData);
        assert.match(userData, /^dist='https:\/\/mirror\.example\.com\/dist'$/m);
    });
});
