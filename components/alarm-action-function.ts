/**
 * The alarm-action function: the Lambda function an idle alarm with action `hibernate` invokes
 * (CloudWatch's own EC2 actions cannot hibernate), one per region per stack. Its code is the bundle
 * `npm run build` makes (lambda/dist/alarm-action.js); its role may only write its logs and stop
 * the instances it watches (docs/reference/alarm-action.md, docs/security.md).
 *
 * The instance list arrives after the function exists (`watch`), since the alarms that invoke it need
 * its ARN first: its environment and its StopInstances policy wait for that list, so nothing cycles.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { WATCHED_INSTANCES_ENV } from "../common/alarm-action";

/** The bundle `npm run build` writes (lambda/build.mjs), deployed as is. */
const alarmActionBundle = path.resolve(__dirname, "..", "lambda", "dist", "alarm-action.js");

/** CloudWatch's principal for alarms that invoke Lambda functions (not events.amazonaws.com). */
export const ALARM_INVOKE_PRINCIPAL = "lambda.alarms.cloudwatch.amazonaws.com";

export interface AlarmActionFunctionArgs {
    /** Tags for the function, its role and its log group. */
    readonly tags?: Record<string, string>;
    /** Days CloudWatch Logs keeps the function's lines. Default 30. */
    readonly logRetentionDays?: number;
}

export class AlarmActionFunction extends pulumi.ComponentResource {
    /** What the idle alarms name as their action. */
    public readonly arn: pulumi.Output<string>;
    public readonly function: aws.lambda.Function;
    private readonly role: aws.iam.Role;
    private readonly resolveWatched: (ids: pulumi.Output<string[]>) => void;
    private watched = false;
    private readonly baseName: string;

    constructor(name: string, args: AlarmActionFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("idle-stop:index:AlarmActionFunction", name, {}, opts);
        this.baseName = name;
        const [watchedIds, resolveWatched] = pulumi.deferredOutput<string[]>();
        this.resolveWatched = resolveWatched;
        this.role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "idle-stop: the alarm-action function (hibernates or stops watched instances)",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags: args.tags,
            },
            { parent: this },
        );
        this.function = new aws.lambda.Function(
            name,
            {
                description: "idle-stop: hibernates (else stops) the instance its idle alarm names",
                runtime: aws.lambda.Runtime.NodeJS22dX,
                handler: "alarm-action.handler",
                code: new pulumi.asset.AssetArchive({ "alarm-action.js": new pulumi.asset.FileAsset(alarmActionBundle) }),
                role: this.role.arn,
                // One StopInstances call, two when it falls back; the SDK's own retries fit well within.
                timeout: 30,
                memorySize: 128,
                environment: { variables: { [WATCHED_INSTANCES_ENV]: watchedIds.apply((ids) => JSON.stringify([...ids].sort())) } },
                tags: args.tags,
            },
            { parent: this },
        );
        this.arn = this.function.arn;
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: pulumi.interpolate`/aws/lambda/${this.function.name}`, retentionInDays: args.logRetentionDays ?? 30, tags: args.tags },
            { parent: this },
        );
        // Its own log group only; no logs:CreateLogGroup, the group above exists first.
        new aws.iam.RolePolicy(
            `${name}-logs`,
            {
                role: this.role.id,
                policy: logGroup.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${arn}:*` }],
                    }),
                ),
            },
            { parent: this },
        );
        this.registerOutputs({ arn: this.arn });
    }

    /**
     * The instances (id and ARN) the function may stop: call once, after every IdleStop that uses it
     * is declared. Until then its environment and its StopInstances policy are unknown.
     */
    watch(instances: ReadonlyArray<{ readonly instanceId: pulumi.Input<string>; readonly instanceArn: pulumi.Input<string> }>): void {
        if (this.watched) throw new Error("idle-stop: AlarmActionFunction.watch called twice");
        this.watched = true;
        this.resolveWatched(pulumi.all(instances.map((i) => i.instanceId)));
        new aws.iam.RolePolicy(
            `${this.baseName}-stop`,
            {
                role: this.role.id,
                policy: pulumi.all(instances.map((i) => i.instanceArn)).apply((arns) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: "ec2:StopInstances", Resource: [...arns].sort() }],
                    }),
                ),
            },
            { parent: this },
        );
    }
}
