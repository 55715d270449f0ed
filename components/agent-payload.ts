/**
 * The agent payload (agent/dist: the single-file bundle and its installer) as the component needs it.
 * `npm run build` makes it in this repository; a copy of the package that never ran the build (the
 * checkout `pulumi package add` makes for programs in other languages, or a fresh clone) gets it
 * built here, on first use, with the same build script.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** Files the installer needs; their absence means the payload has not been built. */
export const requiredPayloadFiles = ["idle-stop-agent.js", "install.sh", "uninstall.sh"] as const;

export function payloadComplete(payloadDir: string): boolean {
    return requiredPayloadFiles.every((file) => fs.existsSync(path.join(payloadDir, file)));
}

/**
 * Returns `payloadDir`, building it first with `buildScript` when it lacks a required file.
 * The build goes to a staging directory that is renamed into place, so a concurrent run (the
 * plugin may be started more than once) never sees half a payload. Without the build script (a
 * payload directory that is not this repository's) nothing is built and the push reports what is
 * missing.
 */
export function ensureAgentPayload(payloadDir: string, buildScript: string): string {
    if (payloadComplete(payloadDir) || !fs.existsSync(buildScript)) {
        return payloadDir;
    }
    const staging = fs.mkdtempSync(path.join(path.dirname(payloadDir), `.${path.basename(payloadDir)}-`));
    try {
        // The build prints to stdout; a plugin's stdout is the engine's channel, so keep it quiet.
        execFileSync(process.execPath, [buildScript, "--outdir", staging], { stdio: ["ignore", "pipe", "pipe"] });
        try {
            fs.renameSync(staging, payloadDir);
        } catch (err) {
            // Another process put a payload in place first; theirs is as good as ours.
            if (!payloadComplete(payloadDir)) throw err;
        }
    } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
        throw new Error(`idle-stop: building the agent payload into ${payloadDir} failed${stderr ? `: ${stderr}` : ""}; run \`npm run build\``);
    } finally {
        fs.rmSync(staging, { recursive: true, force: true });
    }
    return payloadDir;
}
