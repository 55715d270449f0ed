// The names that end up in ssh_config and on ssh command lines: the login user and a watched instance's host alias.

/**
 * A login name on the box: a letter or '_', then letters, digits, '_', '.' or '-'; at most 32
 * characters (useradd's limit). Nothing ssh_config or a shell would read as syntax (no space,
 * quote, '%' or '#'), and no leading '-' that a command would take for an option.
 */
export const SSH_USER_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export const SSH_USER_ALLOWED = "a user name: a letter or '_', then letters, digits, '_', '.' or '-', at most 32 characters";

/**
 * A watched instance's name: it names its resources (URNs, AWS names) and is its `Host` alias in
 * ssh_config (`ssh <name>`), so short and DNS-like.
 */
export const HOST_ALIAS_PATTERN = /^[a-z](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
export const HOST_ALIAS_ALLOWED = "1-30 lowercase letters, digits and '-', starting with a letter, not ending with '-'";
