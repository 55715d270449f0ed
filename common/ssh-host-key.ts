// A pinned SSH host key (sshHostKey): which key lines are accepted and the one form passed on to the agent push's connections.

/**
 * Key types a pin may have. No RSA: pulumi-command offers the server only the pinned key's type
 * as host key algorithm, `ssh-rsa` for an RSA key, i.e. SHA-1 signatures, which OpenSSH 8.8 and
 * later refuse; every supported image also has an ed25519 and an ECDSA host key.
 */
const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;

export const SSH_HOST_KEY_ALLOWED =
    'one public host key line, "ssh-ed25519 AAAA..." or "ecdsa-sha2-nistp256 AAAA..." (384/521), optionally after the host names and followed by a comment, as in known_hosts or /etc/ssh/ssh_host_ed25519_key.pub (not RSA)';

/** The SSH wire strings of a key blob (uint32 length + bytes each), or undefined when malformed. */
function wireStrings(blob: Buffer): Buffer[] | undefined {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < blob.length) {
        if (at + 4 > blob.length) return undefined;
        const length = blob.readUInt32BE(at);
        if (at + 4 + length > blob.length) return undefined;
        parts.push(blob.subarray(at + 4, at + 4 + length));
        at += 4 + length;
    }
    return parts;
}

/** Whether the blob is a well-formed public key of that type (what Go's ssh.ParseAuthorizedKey will parse). */
function blobMatches(type: string, blob: Buffer): boolean {
    const parts = wireStrings(blob);
    if (parts === undefined || parts[0]?.toString("latin1") !== type) return false;
    if (type === "ssh-ed25519") return parts.length === 2 && parts[1].length === 32;
    const curve = type.slice("ecdsa-sha2-".length);
    const pointBytes: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };
    // An uncompressed point: 0x04, then X and Y.
    return parts.length === 3 && parts[1].toString("latin1") === curve && parts[2].length === pointBytes[curve] && parts[2][0] === 4;
}

/**
 * The pin as passed on ("TYPE BASE64"), from a key line as users find it: a `.pub` file's line,
 * an `ssh-keyscan` line or a known_hosts line (host names first). Undefined when malformed.
 */
export function normalizeSshHostKey(value: string): string | undefined {
    // One line of printable ASCII: nothing a log or a terminal would interpret.
    if (!/^[\x20-\x7e]+$/.test(value.trim())) return undefined;
    const fields = value.trim().split(/ +/);
    const at = fields.findIndex((field) => (HOST_KEY_TYPES as readonly string[]).includes(field));
    // Host names (one field, not a marker like @cert-authority) may come first; a comment may follow.
    if (at < 0 || at > 1 || (at === 1 && fields[0].startsWith("@")) || fields.length < at + 2) return undefined;
    const [type, base64] = [fields[at], fields[at + 1]];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return undefined;
    const blob = Buffer.from(base64, "base64");
    if (blob.toString("base64") !== base64 || !blobMatches(type, blob)) return undefined;
    return `${type} ${base64}`;
}
