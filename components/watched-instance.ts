/**
 * The EC2 instance being watched: either one this stack creates, or an existing one it adopts.
 * An adopted instance is only looked up (a data source), never registered as a resource, so
 * nothing Pulumi does (update, destroy) can modify or terminate it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nodeUserData } from "./node-user-data";

/**
 * Which address of a created instance the agent push (and `ssh-config`) dials. Each survives a
 * stop/start, so the connection Pulumi stores stays right and a plain `pulumi preview` after the
 * box slept shows no change (costs: docs/reference/configuration.md, "Address scheme").
 */
export const AddressScheme = {
    /** An Elastic IP associated with the instance (the default). */
    Eip: "eip",
    /** The instance's private IPv4 address (reachable over a VPN, peering or from inside the VPC). */
    Private: "private",
    /** The instance's first IPv6 address (the subnet must have an IPv6 range). */
    Ipv6: "ipv6",
} as const;
export type AddressScheme = (typeof AddressScheme)[keyof typeof AddressScheme];
export const addressSchemes: readonly AddressScheme[] = Object.values(AddressScheme);

/**
 * Settings for an instance that idle-stop creates. (Named without `Args`: it is the type's name in
 * the package schema, and other languages' SDKs append `Args` themselves.)
 */
export interface NewInstance {
    /** EC2 instance type. Default `t3.micro`. */
    readonly instanceType?: pulumi.Input<string>;
    /** AMI id. Default: the latest Ubuntu 24.04 LTS (amd64) image published by Canonical. */
    readonly ami?: pulumi.Input<string>;
    /** Name of an existing EC2 key pair whose private key is the push key. */
    readonly keyName?: pulumi.Input<string>;
    /** OpenSSH public key; when given (and no keyName), a key pair is created from it. */
    readonly sshPublicKey?: pulumi.Input<string>;
    /** CIDR blocks allowed to reach SSH (port `sshPort`). Default `["0.0.0.0/0"]`. */
    readonly sshIngressCidrs?: string[];
    /** Subnet to launch into. Default: the default VPC's default subnet. */
    readonly subnetId?: pulumi.Input<string>;
    /** Root volume size in GiB. Default: the AMI's. */
    readonly rootVolumeGb?: number;
    /** Base URL of Node.js releases, for user data on private subnets. Default `https://nodejs.org/dist`. */
    readonly nodeDistUrl?: string;
}

/** The former name of NewInstance, kept for TypeScript callers. */
export type CreatedInstanceArgs = NewInstance;

export interface WatchedInstance {
    readonly instanceId: pulumi.Output<string>;
    /**
     * Where SSH reaches the box. Created: the stable address of its scheme. Adopted: the address of
     * its scheme when one is given, else public DNS name, else public IP, else private IP (these
     * change at each stop/start).
     */
    readonly address: pulumi.Output<string>;
    /** Whether `address` survives stop/start (a created box, or an adopted one with a scheme): then no current address replaces it. */
    readonly stable: boolean;
    /** Set only for a created instance. */
    readonly instance?: aws.ec2.Instance;
}

/** Canonical's AWS account, publisher of the official Ubuntu images. */
const canonicalOwnerId = "099720109477";

/** The first IPv6 address, or a message naming what is missing (an instance without one cannot be reached that way). */
function firstIpv6(name: string, addresses: string[] | undefined): string {
    const first = addresses?.[0];
    if (first === undefined || first === "") {
        throw new Error(`idle-stop: ${name} has no IPv6 address; addressScheme "ipv6" needs a subnet with an IPv6 range`);
    }
    return first;
}

/** An adopted instance is never modified, so no Elastic IP: `eip` is refused by the argument checks. */
export function adoptInstance(name: string, instanceId: string, scheme: AddressScheme | undefined, parent: pulumi.Resource): WatchedInstance {
    // A lookup fails `pulumi preview` early when the id does not exist in this region.
    const found = aws.ec2.getInstanceOutput({ instanceId }, { parent });
    return {
        instanceId: found.id,
        stable: scheme === AddressScheme.Private || scheme === AddressScheme.Ipv6,
        address: found.apply((i) => {
            if (scheme === AddressScheme.Private) return i.privateIp;
            if (scheme === AddressScheme.Ipv6) return firstIpv6(name, i.ipv6Addresses);
            return i.publicDns || i.publicIp || i.privateIp;
        }),
    };
}

export function createInstance(
    name: string,
    args: NewInstance,
    sshPort: number,
    scheme: AddressScheme,
    instanceProfileName: pulumi.Input<string> | undefined,
    tags: Record<string, string>,
    parent: pulumi.Resource,
    /** Set with action hibernate: launch with hibernation, on an encrypted root volume this large (components/hibernation.ts). */
    hibernationRootVolumeGb?: number,
): WatchedInstance {
    const ami =
        args.ami ??
        aws.ec2.getAmiOutput(
            {
                owners: [canonicalOwnerId],
                mostRecent: true,
                filters: [
                    { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
                    { name: "virtualization-type", values: ["hvm"] },
                ],
            },
            { parent },
        ).id;

    const vpcId = args.subnetId ? aws.ec2.getSubnetOutput({ id: args.subnetId }, { parent }).vpcId : undefined;

    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-ssh`,
        {
            description: "idle-stop: SSH to the watched dev box",
            vpcId,
            ingress: [
                {
                    description: "SSH",
                    protocol: "tcp",
                    fromPort: sshPort,
                    toPort: sshPort,
                    cidrBlocks: args.sshIngressCidrs ?? ["0.0.0.0/0"],
                    // The IPv6 scheme dials the box over IPv6; the IPv4 CIDRs cannot admit that.
                    ...(scheme === AddressScheme.Ipv6 && args.sshIngressCidrs === undefined ? { ipv6CidrBlocks: ["::/0"] } : {}),
                },
            ],
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
            tags,
        },
        { parent },
    );

    let keyName = args.keyName;
    if (keyName === undefined && args.sshPublicKey !== undefined) {
        keyName = new aws.ec2.KeyPair(`${name}-key`, { publicKey: args.sshPublicKey, tags }, { parent }).keyName;
    }

    const instance = new aws.ec2.Instance(
        name,
        {
            ami,
            instanceType: args.instanceType ?? "t3.micro",
            keyName,
            subnetId: args.subnetId,
            vpcSecurityGroupIds: [securityGroup.id],
            iamInstanceProfile: instanceProfileName,
            // IMDSv2 only: tokens defeat SSRF-style credential theft through the metadata service.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: rootVolume(args.rootVolumeGb, hibernationRootVolumeGb),
            // Only set for hibernate, so a stop or terminate stack's instance keeps its inputs (no replacement).
            ...(hibernationRootVolumeGb === undefined ? {} : { hibernation: true }),
            userData: nodeUserData(args.nodeDistUrl ?? "https://nodejs.org/dist"),
            ...(scheme === AddressScheme.Ipv6 ? { ipv6AddressCount: 1 } : {}),
            tags: { Name: name, ...tags },
        },
        // Hibernation can be set only at launch: a change of action must never replace (and so
        // wipe) a box that exists. It then stops plainly until replaced on purpose
        // (docs/reference/configuration.md#hibernation).
        { parent, ignoreChanges: ["hibernation"] },
    );

    return { instanceId: instance.id, address: stableAddress(name, instance, scheme, tags, parent), stable: true, instance };
}

/** Always encrypted (hibernation requires it, and it costs nothing); sized for the saved memory when hibernating. */
function rootVolume(rootVolumeGb: number | undefined, hibernationRootVolumeGb: number | undefined): aws.types.input.ec2.InstanceRootBlockDevice {
    const size = hibernationRootVolumeGb ?? rootVolumeGb;
    return size ? { volumeSize: size, encrypted: true } : { encrypted: true };
}

/**
 * The created instance's address that survives stop/start. Never its public IP or DNS name: those
 * change at each start, and a connection stored with one would go stale (and make every preview
 * after a stop/start show an update of the agent push).
 */
function stableAddress(
    name: string,
    instance: aws.ec2.Instance,
    scheme: AddressScheme,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): pulumi.Output<string> {
    switch (scheme) {
        case AddressScheme.Private:
            return instance.privateIp;
        case AddressScheme.Ipv6:
            return instance.ipv6Addresses.apply((addresses) => firstIpv6(name, addresses));
        case AddressScheme.Eip: {
            // Associated through `instance`: the EIP is released at destroy after the push's uninstall.
            // Its public DNS name (stable as the EIP) resolves to the private IP from inside the VPC.
            const eip = new aws.ec2.Eip(`${name}-address`, { domain: "vpc", instance: instance.id, tags: { Name: name, ...tags } }, { parent });
            return pulumi.all([eip.publicDns, eip.publicIp]).apply(([dns, ip]) => dns || ip);
        }
    }
}
