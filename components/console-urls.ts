/** Links into the AWS console, which lives on a different domain in each partition. */

function consoleHost(partition: string, region: string): string {
    switch (partition) {
        case "aws-cn":
            return "console.amazonaws.cn";
        case "aws-us-gov":
            return "console.amazonaws-us-gov.com";
        default:
            return `${region}.console.aws.amazon.com`;
    }
}

export function alarmConsoleUrl(partition: string, region: string, alarmName: string): string {
    return `https://${consoleHost(partition, region)}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

export function dashboardConsoleUrl(partition: string, region: string, dashboardName: string): string {
    return `https://${consoleHost(partition, region)}/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`;
}
