// Loaded once per mocha process (.mocharc.json): Pulumi allows one mock runtime per process.
// In parallel mode (tests/run-tiers.mjs) each worker is a process that runs several files, and
// root hooks run once per file: the mocks are installed by the first file only, as in a serial run.
import "./ts-node-costs";
import { installMocks } from "./pulumi-mocks";

// The AWS SDK warns once per process on node < 22; tests of the agent do not want that noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

let mocks: Promise<void> | undefined;

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        mocks ??= installMocks();
        await mocks;
    },
};
