// The blog's approach: a crontab line that counts `[priv]` sshd processes and publishes the count
// with the AWS CLI once a minute. Run exactly as cron would: `/bin/sh -c LINE`.
import { TEST_CREDENTIALS } from "../../tests/support/cloudwatch-endpoint";

const CRON_NAMESPACE = "EC2";
const CRON_METRIC = "SSH Connections";

/** The blog's counting pipeline (counts `sshd: USER [priv]` monitors, i.e. non-root logins). */
export const BLOG_COUNT = `ps -A x | grep sshd | grep "\\[priv\\]" | wc -l`;

/**
 * The crontab command for one instance. The only additions to the blog's line are
 * --endpoint-url (the local CloudWatch) and --region; the instance id is inlined (no IMDS call).
 */
export function cronLine(awsBin: string, endpointUrl: string, instanceId: string): string {
    return (
        `${awsBin} cloudwatch put-metric-data --metric-name "${CRON_METRIC}" --namespace ${CRON_NAMESPACE} ` +
        `--unit Count --value $(${BLOG_COUNT}) --dimensions InstanceId=${instanceId} ` +
        `--region ${TEST_CREDENTIALS.region} --endpoint-url ${endpointUrl}`
    );
}
