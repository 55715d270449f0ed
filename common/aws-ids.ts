// The shapes of AWS identifiers that the program, the agent and the laptop command all check.

/** EC2 instance ids: `i-` followed by 8 (older) or 17 lowercase hex digits. */
export const INSTANCE_ID_PATTERN = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const INSTANCE_ID_ALLOWED = `an EC2 instance id: "i-" followed by 8 or 17 lowercase hex digits`;

/** AWS region names such as eu-west-1 or us-gov-west-1. */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
export const REGION_ALLOWED = "an AWS region such as eu-west-1";

/** EC2 instance type names such as t3.micro, m7i-flex.large or u-6tb1.56xlarge (read from EC2, given with --price). */
export const INSTANCE_TYPE_PATTERN = /^[a-z0-9-]{1,20}\.[a-z0-9-]{1,20}$/;
