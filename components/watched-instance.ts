/**
 * The EC2 instance being watched: either one this stack creates, or an existing one it adopts.
 * An adopted instance is only looked up (a data source), never registered as a resource, so
 * nothing Pulumi does (update, destroy) can modify or terminate it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nodeUserData } from "./node-user-data";

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
    /** Public DNS name, else public IP, else private IP: where SSH can reach the box. */
    readonly address: pulumi.Output<string>;
    /** Set only for a created instance. */
    readonly instance?: aws.ec2.Instance;
}

/** Canonical's AWS account, publisher of the official Ubuntu images. */
const canonicalOwnerId = "099720109477";

export function adoptInstance(name: string, instanceId: string, parent: pulumi.Resource): WatchedInstance {
    // A lookup fails `pulumi preview` early when the id does not exist in this region.
    const found = aws.ec2.getInstanceOutput({ instanceId }, { parent });
    return {
        instanceId: found.id,
        address: found.apply((i) => i.publicDns || i.publicIp || i.privateIp),
    };
}

export function createInstance(
    name: string,
    args: NewInstance,
    sshPort: number,
    instanceProfileName: pulumi.Input<string> | undefined,
    tags: Record<string, string>,
    parent: pulumi.Resource,
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
            rootBlockDevice: args.rootVolumeGb ? { volumeSize: args.rootVolumeGb, encrypted: true } : { encrypted: true },
            userData: nodeUserData(args.nodeDistUrl ?? "https://nodejs.org/dist"),
            tags: { Name: name, ...tags },
        },
        { parent },
    );

    return {
        instanceId: instance.id,
        address: pulumi.all([instance.publicDns, instance.publicIp, instance.privateIp]).apply(([dns, ip, privateIp]) => dns || ip || privateIp),
        instance,
    };
}
