// Loaded once per mocha process (.mocharc.json): Pulumi allows one mock runtime per process.
import { installMocks } from "./pulumi-mocks";

// The AWS SDK warns once per process on node < 22; tests of the agent do not want that noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await installMocks();
    },
};
