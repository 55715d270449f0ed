/**
 * One SNS topic per stack for people: the warning before a stop, the stop itself, and the
 * silent-agent alarm. Email subscriptions must be confirmed from the inbox once (AWS sends a
 * confirmation mail); until then nothing is delivered.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

interface Notifications {
    readonly topic: aws.sns.Topic;
}

export function createNotifications(name: string, emails: string[], opts?: pulumi.CustomResourceOptions): Notifications {
    const topic = new aws.sns.Topic(name, { displayName: "idle-stop" }, opts);
    emails.forEach((email, index) => {
        new aws.sns.TopicSubscription(`${name}-email-${index}`, { topic: topic.arn, protocol: "email", endpoint: email }, opts);
    });
    return { topic };
}
