// The tags the program writes on each box's idle alarm and the laptop command reads to find the box from AWS alone (docs/reference/laptop.md#finding-the-boxes).
import { programAgentRanges } from "./agent-config";
import { HOST_ALIAS_ALLOWED, HOST_ALIAS_PATTERN, SSH_HOST_ALLOWED, SSH_HOST_PATTERN, SSH_USER_ALLOWED, SSH_USER_PATTERN } from "./ssh-names";

/** Tag keys, one place for both sides. Every idle alarm the program creates carries all but sshHost. */
export const BOX_TAG = {
    /** The watched instance's name: its Host alias (`ssh <name>`). Its presence marks an idle-stop idle alarm. */
    box: "idle-stop:box",
    /** The Pulumi project and stack that watch it, as `project/stack`. */
    stack: "idle-stop:stack",
    sshUser: "idle-stop:ssh-user",
    sshPort: "idle-stop:ssh-port",
    /** Only when the address is fixed by config (`sshHost`); otherwise the laptop asks EC2. */
    sshHost: "idle-stop:ssh-host",
    /** "true" for an adopted instance, "false" for one the stack created. */
    adopted: "idle-stop:adopted",
} as const;

/**
 * A Pulumi project and stack name joined by '/': letters, digits, '_', '.' and '-' on each side
 * (Pulumi's own rule for both), at most 100 characters each. Within CloudWatch's tag value set.
 */
const STACK_TAG_PATTERN = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const STACK_TAG_ALLOWED = "project/stack: letters, digits, '_', '.' and '-' on each side";

/** What the laptop reads from one idle alarm's tags, each value checked. */
export interface BoxTags {
    readonly box: string;
    readonly stack: string;
    readonly sshUser: string;
    readonly sshPort: number;
    /** Undefined when the address is not fixed. */
    readonly sshHost?: string;
    readonly adopted: boolean;
}

/** The tags for one box, as the program writes them. */
export function boxTags(t: BoxTags): Record<string, string> {
    return {
        [BOX_TAG.box]: t.box,
        [BOX_TAG.stack]: t.stack,
        [BOX_TAG.sshUser]: t.sshUser,
        [BOX_TAG.sshPort]: String(t.sshPort),
        ...(t.sshHost !== undefined ? { [BOX_TAG.sshHost]: t.sshHost } : {}),
        [BOX_TAG.adopted]: String(t.adopted),
    };
}

/**
 * Reads the tags of one alarm: undefined when it is no idle-stop idle alarm (no box tag), a
 * string naming the first bad value (whoever may tag alarms in the account chooses them), or the
 * checked tags.
 */
export function parseBoxTags(tags: ReadonlyMap<string, string>): BoxTags | string | undefined {
    const box = tags.get(BOX_TAG.box);
    if (box === undefined) return undefined;
    const get = (key: string): string => tags.get(key) ?? "";
    if (!HOST_ALIAS_PATTERN.test(box)) return `${BOX_TAG.box} is not ${HOST_ALIAS_ALLOWED}`;
    if (!STACK_TAG_PATTERN.test(get(BOX_TAG.stack))) return `${BOX_TAG.stack} is not ${STACK_TAG_ALLOWED}`;
    if (!SSH_USER_PATTERN.test(get(BOX_TAG.sshUser))) return `${BOX_TAG.sshUser} is not ${SSH_USER_ALLOWED}`;
    const port = get(BOX_TAG.sshPort);
    const { min, max } = programAgentRanges.sshPort;
    if (!/^\d{1,5}$/.test(port) || Number(port) < min || Number(port) > max) return `${BOX_TAG.sshPort} is not a whole number from ${min} to ${max}`;
    const host = tags.get(BOX_TAG.sshHost);
    if (host !== undefined && !SSH_HOST_PATTERN.test(host)) return `${BOX_TAG.sshHost} is not ${SSH_HOST_ALLOWED}`;
    const adopted = get(BOX_TAG.adopted);
    if (adopted !== "true" && adopted !== "false") return `${BOX_TAG.adopted} is not true or false`;
    return {
        box,
        stack: get(BOX_TAG.stack),
        sshUser: get(BOX_TAG.sshUser),
        sshPort: Number(port),
        ...(host !== undefined ? { sshHost: host } : {}),
        adopted: adopted === "true",
    };
}
