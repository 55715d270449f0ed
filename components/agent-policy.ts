/**
 * The agent's IAM policy: the least it needs and nothing more. It may publish metrics only into
 * the product's namespace, and may set the state of its own alarm (the re-arm at boot).
 */

export interface PolicyStatement {
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

export function agentPolicyDocument(namespace: string, alarmArns: string[]): PolicyDocument {
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
            {
                Sid: "RearmOwnIdleAlarm",
                Effect: "Allow",
                Action: ["cloudwatch:SetAlarmState"],
                Resource: alarmArns,
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
