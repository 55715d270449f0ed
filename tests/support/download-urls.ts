// Download base URLs for the nodeDistUrl rule (common/download-url.ts), shared by the program's tests and the installer's.

/**
 * Each reads as loopback (or as a plain https host) to WHATWG URL and as another host, another
 * user or another word to curl, wget or the shell on the box.
 */
export const bypassUrls = [
    "http://localhost:80\\@evil.example/",
    "http://localhost\\@evil.example/dist",
    "https://user@host/",
    "https://user:secret@mirror.example.com/dist",
    "http://127.0.0.1@evil/",
    "http://127.0.0.1:8080@evil.example/dist",
    "https://mirror.example.com/node dist",
    "https://mirror.example.com/dist\n--output=/etc/passwd",
    "https://mirror.example.com/dist\t",
    " https://mirror.example.com/dist",
    "https://mirror.example.com/dist\r",
    "https://mirror.example.com/\u0000dist",
    "https://mirror.example.com/dist?x=1",
    "https://mirror.example.com/dist#frag",
    "https://mirror.example.com/it's",
    "https://mirror.example.com/$(id)",
    "https:///evil.example/dist",
    "http://2130706433/dist",
];

/** Mirrors both the program and the installer accept, with what the program passes on. */
export const acceptedUrls: Array<[string, string]> = [
    ["https://nodejs.org/dist", "https://nodejs.org/dist"],
    ["https://mirror.example.com/node/dist/", "https://mirror.example.com/node/dist"],
    ["http://127.0.0.1:8080/dist", "http://127.0.0.1:8080/dist"],
    ["http://localhost/dist", "http://localhost/dist"],
    ["http://[::1]:8080/dist", "http://[::1]:8080/dist"],
    ["https://[2001:db8::1]/dist", "https://[2001:db8::1]/dist"],
    ["https://mirror.example.com/~node/v%2B/dist,x=1", "https://mirror.example.com/~node/v%2B/dist,x=1"],
];
