// The rule for a base URL the box downloads code from (nodeDistUrl): the program's config checks and the user data apply it; install.sh applies the same rule in shell.

/**
 * What a download base URL may contain: letters, digits and `- . _ ~ : / % + = ,`, plus `[` `]`
 * for an IPv6 literal. Everything else is refused rather than interpreted, because the URL is read
 * twice, by WHATWG URL here and by curl or wget on the box, and the two disagree about userinfo
 * (`http://localhost:80\@evil.example/` is loopback to one and evil.example to the other). So no
 * `@` or `\`, no whitespace or control characters, no quotes or `$` (the URL goes into a shell
 * script), and no `?` or `#` (the release path is appended to it). install.sh's check_args has
 * the same character list; docs/security.md says why the rule exists.
 */
const DOWNLOAD_URL_CHARACTERS = /^[A-Za-z0-9._~:/%+=,[\]-]+$/;

/**
 * How the raw text must start, the same prefixes install.sh accepts: https with a host, or plain
 * http only to the box's own loopback (the traffic never leaves the machine), spelled literally,
 * so `http://2130706433/` or `http://%6cocalhost/` do not count as loopback to one reader only.
 */
const DOWNLOAD_URL_START = /^(?:https:\/\/[A-Za-z0-9[]|http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?:[:/]|$))/;
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

export const DOWNLOAD_URL_ALLOWED =
    "an https URL (plain http only for 127.0.0.1/localhost) made of letters, digits and - . _ ~ : / % + = , [ ] only: no user info, '@', '\\', spaces, control characters, query or fragment";

/**
 * The normalized form of a download base URL (`new URL(value).href` without trailing slashes),
 * or undefined when the rule refuses it. Callers pass the normalized form on, never the raw text.
 */
export function normalizeDownloadUrl(value: string): string | undefined {
    if (!DOWNLOAD_URL_CHARACTERS.test(value) || !DOWNLOAD_URL_START.test(value)) return undefined;
    let parsed: URL;
    try {
        parsed = new URL(value);
    } catch {
        return undefined;
    }
    if (parsed.username !== "" || parsed.password !== "" || parsed.search !== "" || parsed.hash !== "") return undefined;
    const loopback = LOOPBACK_HOSTS.includes(parsed.hostname);
    if (!(parsed.protocol === "https:" || (parsed.protocol === "http:" && loopback))) return undefined;
    const normalized = parsed.href.replace(/\/+$/, "");
    // The normalized text must pass the same character rule (e.g. no percent-decoding surprises).
    return DOWNLOAD_URL_CHARACTERS.test(normalized) ? normalized : undefined;
}
