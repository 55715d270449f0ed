// One AWS provider per region the fleet names (docs/reference/configuration.md, "Boxes in several regions").
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The provider for each region in `regions`; `undefined` stands for the stack's default provider,
 * used for an entry without a region and for one naming the stack's own `aws:region`, so adding
 * `region` to such an entry changes none of its resources.
 */
export function regionalProviders(regions: ReadonlyArray<string | undefined>): Map<string | undefined, aws.Provider | undefined> {
    const awsConfig = new pulumi.Config("aws");
    const stackRegion = awsConfig.get("region");
    // An explicit provider does not read the stack's `aws:` keys; the profile is the one most
    // stacks set (docs/reference/configuration.md), so the regional providers log in the same way.
    const profile = awsConfig.get("profile");
    const providers = new Map<string | undefined, aws.Provider | undefined>([[undefined, undefined]]);
    for (const region of regions) {
        if (providers.has(region) || region === undefined) continue;
        providers.set(
            region,
            region === stackRegion
                ? undefined
                : new aws.Provider(`idle-stop-${region}`, { region: region as aws.Region, ...(profile ? { profile } : {}) }),
        );
    }
    return providers;
}
