/**
 * Stack configs the component tests share: one that creates an instance and one that adopts an
 * existing (Cloud9-style) instance. The private key is a throwaway test value; tests look for it
 * verbatim to prove it never leaks out of secret fields.
 */
import { mockAws } from "./pulumi-mocks";

export const testPrivateKey = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "idle-stop-test-key-material-that-must-stay-secret-0123456789",
    "-----END OPENSSH PRIVATE KEY-----",
].join("\n");

export const adoptedInstanceId = "i-0123456789abcdef0";

export function registerAdoptedInstance(instanceId = adoptedInstanceId): void {
    mockAws.existingInstances.set(instanceId, {
        publicDns: "ec2-203-0-113-10.compute-1.amazonaws.com",
        publicIp: "203.0.113.10",
        privateIp: "10.0.1.10",
    });
}

export function createdConfig(overrides: Record<string, string> = {}): Record<string, string> {
    return { sshPrivateKey: testPrivateKey, keyName: "dev-key", ...overrides };
}

export function adoptedConfig(overrides: Record<string, string> = {}): Record<string, string> {
    registerAdoptedInstance(overrides.instanceId ?? adoptedInstanceId);
    return { sshPrivateKey: testPrivateKey, instanceId: adoptedInstanceId, sshUser: "ec2-user", ...overrides };
}
