/**
 * The agent's IAM policy: the least it needs and nothing more. It may publish metrics only into
 * the product's namespace. It holds no permission on alarms: with an instance profile every local
 * process can fetch these credentials from the metadata service, and SetAlarmState to ALARM would
 * run the stop/terminate action at once. The agent re-arms the idle alarm by publishing instead
 * (the first period after a boot counts as in use).
 */

interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Action: string[];
    readonly Resource: string | string[];
    readonly Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

export function agentPolicyDocument(namespace: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "PublishActiveSessions",
                Effect: "Allow",
                Action: ["cloudwatch:PutMetricData"],
                // PutMetricData has no resource-level permissions; the namespace condition is the scope.
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
            },
        ],
    };
}

/** Trust policy that lets EC2 instances assume the agent's role. */
export function ec2AssumeRolePolicy(dnsSuffix: string): string {
    // China partitions name the EC2 principal with their own DNS suffix.
    const service = dnsSuffix === "amazonaws.com.cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com";
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}
