/**
 * The AWS identity the agent publishes with: an instance profile (role) for instances idle-stop
 * creates, or an IAM user with an access key when the instance cannot be given a profile
 * without modifying it (adopted instances). The access key is a Pulumi secret end to end.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { agentPolicyDocument, ec2AssumeRolePolicy } from "./agent-policy";

/**
 * How the agent gets AWS credentials. An `as const` object rather than a TypeScript `enum`: the
 * Pulumi schema inference turns it into an enum for other languages, and TypeScript callers keep
 * passing the plain strings (`"iam-user"`) as well as `CredentialsMode.IamUser`.
 */
export const CredentialsMode = {
    /** An IAM role attached to the instance as an instance profile (instances idle-stop creates). */
    InstanceProfile: "instance-profile",
    /** An IAM user whose access key is written on the instance (adopted instances). */
    IamUser: "iam-user",
} as const;
export type CredentialsMode = (typeof CredentialsMode)[keyof typeof CredentialsMode];
export const credentialsModes: readonly CredentialsMode[] = Object.values(CredentialsMode);

export interface AgentIdentity {
    readonly mode: CredentialsMode;
    /** Instance profile to launch a created instance with (instance-profile mode). */
    readonly instanceProfileName?: pulumi.Output<string>;
    /** AWS shared credentials file for the agent (iam-user mode); a secret. */
    readonly credentialsFile?: pulumi.Output<string>;
    /** Attaches the agent's least-privilege policy (PutMetricData in the namespace, nothing else). */
    grant(namespace: string): pulumi.Resource;
}

function policyJson(namespace: string): string {
    return JSON.stringify(agentPolicyDocument(namespace));
}

export function createInstanceProfileIdentity(
    name: string,
    dnsSuffix: pulumi.Input<string>,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): AgentIdentity {
    const role = new aws.iam.Role(
        `${name}-agent`,
        {
            description: "idle-stop agent: publishes active SSH sessions for its instance",
            assumeRolePolicy: pulumi.output(dnsSuffix).apply(ec2AssumeRolePolicy),
            tags,
        },
        { parent },
    );
    const profile = new aws.iam.InstanceProfile(`${name}-agent`, { role: role.name, tags }, { parent });
    return {
        mode: "instance-profile",
        instanceProfileName: profile.name,
        grant(namespace) {
            return new aws.iam.RolePolicy(`${name}-agent`, { role: role.id, policy: policyJson(namespace) }, { parent });
        },
    };
}

export function createIamUserIdentity(name: string, tags: Record<string, string>, parent: pulumi.Resource): AgentIdentity {
    const user = new aws.iam.User(`${name}-agent`, { path: "/idle-stop/", tags }, { parent });
    const accessKey = new aws.iam.AccessKey(
        `${name}-agent`,
        { user: user.name },
        {
            parent,
            additionalSecretOutputs: ["secret"],
        },
    );
    const credentialsFile = pulumi.secret(
        pulumi.interpolate`[default]\naws_access_key_id = ${accessKey.id}\naws_secret_access_key = ${accessKey.secret}\n`,
    );
    return {
        mode: "iam-user",
        credentialsFile,
        grant(namespace) {
            return new aws.iam.UserPolicy(`${name}-agent`, { user: user.name, policy: policyJson(namespace) }, { parent });
        },
    };
}
