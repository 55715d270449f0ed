// Which created instances can hibernate and how large their root volume must be (docs/reference/configuration.md#hibernation).
import * as pulumi from "@pulumi/pulumi";
import { InvalidSettingError } from "./validation";

/**
 * Memory per vCPU (GiB) of the x86 families EC2 lists as supporting hibernation whose memory
 * follows their size (AWS EC2 user guide, "Hibernation prerequisites"); a size's vCPUs come from
 * its name (`medium` 1, `large` 2, `xlarge` 4, `Nxlarge` 4N).
 */
const memoryPerVcpu: Record<string, number> = {
    ...Object.fromEntries(["m4", "m5", "m5a", "m5ad", "m5d", "m6a", "m6i", "m6id", "m7a", "m7i", "m7i-flex"].map((f) => [f, 4])),
    ...Object.fromEntries(["c5", "c5a", "c5d", "c6a", "c6i", "c6id", "c7a", "c7i", "c7i-flex"].map((f) => [f, 2])),
    ...Object.fromEntries(["r5", "r5a", "r5ad", "r5d", "r6a", "r6i", "r6id", "r7a", "r7i"].map((f) => [f, 8])),
};

/** The burstable families, whose memory does not follow their vCPUs (GiB by size). */
const burstableMemory: Record<string, number> = { nano: 0.5, micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 };
const burstableFamilies = ["t2", "t3", "t3a"];

/** EC2 hibernates instances with at most this much memory. */
const MAX_HIBERNATION_GIB = 150;
/** Room for the OS and the user's files beside the saved memory: the Ubuntu AMI's own root volume size. */
const OS_ROOT_GIB = 8;

const ALLOWED_TYPES = `an x86 instance type that can hibernate, with at most ${MAX_HIBERNATION_GIB} GiB of memory: ${burstableFamilies.join(", ")} (nano to 2xlarge), or ${Object.keys(memoryPerVcpu).join(", ")} (medium or large to the size with ${MAX_HIBERNATION_GIB} GiB)`;

function vcpus(size: string): number | undefined {
    if (size === "medium") return 1;
    if (size === "large") return 2;
    const match = /^(\d*)xlarge$/.exec(size);
    return match ? 4 * Number(match[1] || "1") : undefined;
}

/** The memory of an instance type in GiB, or undefined when it is not one the table knows (or cannot hibernate). */
function hibernationMemoryGib(instanceType: string): number | undefined {
    const [family, size, ...rest] = instanceType.split(".");
    if (rest.length > 0 || size === undefined) return undefined;
    const memory = burstableFamilies.includes(family)
        ? burstableMemory[size]
        : memoryPerVcpu[family] === undefined
          ? undefined
          : (vcpus(size) ?? NaN) * memoryPerVcpu[family];
    return memory !== undefined && memory > 0 && memory <= MAX_HIBERNATION_GIB ? memory : undefined;
}

/**
 * The root volume a created instance that hibernates gets: at least its memory (saved there) plus
 * the OS, whole GiB. Refuses an instance type that cannot hibernate (or whose memory the table does
 * not know) and a `rootVolumeGb` smaller than that, naming the key. Reference: docs/reference/configuration.md#hibernation.
 */
export function hibernationRootVolume(
    label: (argName: string) => string,
    instanceType: pulumi.Input<string> | undefined,
    rootVolumeGb: number | undefined,
    customAmi = false,
): number {
    if (instanceType !== undefined && typeof instanceType !== "string") {
        throw new InvalidSettingError(
            label("instance.instanceType"),
            "(an Output)",
            `a plain string with action "hibernate": its memory sizes the root volume`,
        );
    }
    const type = instanceType ?? "t3.micro";
    const memory = hibernationMemoryGib(type);
    if (memory === undefined) throw new InvalidSettingError(label("instance.instanceType"), type, `with action "hibernate", ${ALLOWED_TYPES}`);
    const needed = Math.ceil(memory) + OS_ROOT_GIB;
    if (rootVolumeGb !== undefined && rootVolumeGb < needed) {
        throw new InvalidSettingError(
            label("instance.rootVolumeGb"),
            rootVolumeGb,
            `at least ${needed} (GiB) with action "hibernate" on ${type}: its ${memory} GiB of memory are saved there, beside ${OS_ROOT_GIB} GiB for the OS`,
        );
    }
    // Another image's root snapshot may be larger than memory + OS, and a volume smaller than the
    // snapshot fails the launch: with an `ami` of your own, say how large.
    if (rootVolumeGb === undefined && customAmi) {
        throw new InvalidSettingError(
            label("instance.rootVolumeGb"),
            "(not set)",
            `a size in GiB with action "hibernate" and an \`ami\` of your own: at least ${needed} and at least the image's root snapshot`,
        );
    }
    return rootVolumeGb ?? needed;
}
