// Loaded once per mocha process (.mocharc.json): Pulumi allows one mock runtime per process.
// In parallel mode (tests/run-tiers.mjs) each worker is a process that runs several files, and
// root hooks run once per file: the mocks are installed by the first file that loaded Pulumi,
// before its tests run, as in a serial run. Workers whose files never load Pulumi (most of the
// integration tier) skip loading it: a second of CPU each.
import "./ts-node-costs";

// The AWS SDK warns once per process on node < 22; tests of the agent do not want that noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

let mocks: Promise<void> | undefined;

/** Whether a loaded test file (or what it imports) required @pulumi/pulumi. */
function pulumiLoaded(): boolean {
    return Object.keys(require.cache).some((file) => file.includes("/node_modules/@pulumi/pulumi/"));
}

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        if (!mocks && !pulumiLoaded()) return;
        mocks ??= import("./pulumi-mocks").then((m) => m.installMocks());
        await mocks;
    },
};
