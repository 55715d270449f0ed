// The names that end up in ssh_config and on ssh command lines: the login user, a watched instance's host alias, the host it is reached at.

/**
 * A login name on the box: a letter or '_', then letters, digits, '_', '.' or '-'; at most 32
 * characters (useradd's limit). Nothing ssh_config or a shell would read as syntax (no space,
 * quote, '%' or '#'), and no leading '-' that a command would take for an option.
 */
export const SSH_USER_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export const SSH_USER_ALLOWED = "a user name: a letter or '_', then letters, digits, '_', '.' or '-', at most 32 characters";

/**
 * A watched instance's name: it names its resources (URNs, AWS names) and is its `Host` alias in
 * ssh_config (`ssh <name>`), so short and DNS-like. No pattern characters (`*`, `?`, `!`) and
 * nothing an object's prototype answers to except plain words such as "constructor", which is
 * why every lookup by name uses a Map or an own-property check.
 */
export const HOST_ALIAS_PATTERN = /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
export const HOST_ALIAS_ALLOWED = "1-30 lowercase letters, digits and '-', starting with a letter, not ending with '-'";

/**
 * Where SSH reaches a box: a DNS name (labels of letters, digits and '-', not starting or ending
 * with '-'), an IPv4 address, or an IPv6 address without brackets; at most 253 characters. No
 * leading '-', no space, '%', '@' or control character.
 */
export const SSH_HOST_PATTERN =
    /^(?=.{1,253}$)(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$/;
export const SSH_HOST_ALLOWED = "a DNS name, an IPv4 address or an IPv6 address (at most 253 characters)";
