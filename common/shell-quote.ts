// Quoting for POSIX shell command lines: the commands run on the box over SSH and the
// ProxyCommand written into ~/.ssh/config both go through a shell.

/** Quotes a value for a POSIX shell command line (bare when it holds only safe characters). */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) {
        return value;
    }
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}
