/**
 * Entry of the idle-stop Pulumi package (package.json `main`, next to PulumiPlugin.yaml).
 * `pulumi package add` and programs in other languages start it with Pulumi's run-plugin, which
 * requires this module and, as it exports a function rather than component classes, calls it: that
 * serves IdleStopProvider, whose schema refines the inferred one (the SSH private key secret,
 * whole-number settings integers), which the provider run-plugin would build from exported classes
 * could not. The arguments are the engine's address.
 */
import { main } from "@pulumi/pulumi/provider";
import { IdleStopProvider } from "./package-provider";

function serveIdleStopPackage(): Promise<void> {
    return main(new IdleStopProvider(), process.argv.slice(2));
}

export = serveIdleStopPackage;
