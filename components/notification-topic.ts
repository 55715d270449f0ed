/**
 * NotificationTopic: the stack's SNS topic for people, as a component (type
 * `idle-stop:index:NotificationTopic`) so programs in any language can create it and hand its ARN to
 * each IdleStop's `notificationTopicArn`. The TypeScript program keeps calling createNotifications
 * directly, so its existing resources keep their names and URNs.
 */
import * as pulumi from "@pulumi/pulumi";
import { createNotifications } from "./notifications";
import { checkEmail, InvalidSettingError } from "./validation";

export interface NotificationTopicArgs {
    /**
     * Email addresses subscribed to the topic: they hear the warning before a stop, the stop, and a
     * silent agent. Each address must confirm the subscription mail AWS sends. At least one.
     */
    readonly emails: string[];
}

/** An SNS topic with email subscriptions for the idle-stop alarms (the warning, the stop, a silent agent). */
export class NotificationTopic extends pulumi.ComponentResource {
    /** ARN of the topic: pass it as `notificationTopicArn` to each IdleStop. */
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: NotificationTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("idle-stop:index:NotificationTopic", name, { emails: args.emails }, opts);
        if (!Array.isArray(args.emails) || args.emails.length === 0) {
            throw new InvalidSettingError("emails", args.emails, "a list of at least one email address");
        }
        const emails = args.emails.map((email) => checkEmail("emails", email));
        this.topicArn = createNotifications(name, emails, { parent: this }).topic.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
