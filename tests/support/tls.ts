// A throwaway self-signed certificate for 127.0.0.1, so local endpoints can speak HTTPS as AWS
// does (clients trust it through NODE_EXTRA_CA_CERTS). Made with the openssl CLI; the files live
// in a directory the caller owns and removes.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalCert {
    key: string;
    cert: string;
    /** PEM file of the certificate: the value for NODE_EXTRA_CA_CERTS. */
    certPath: string;
}

export function selfSignedCert(dir: string): LocalCert {
    const keyPath = join(dir, "endpoint-key.pem");
    const certPath = join(dir, "endpoint-cert.pem");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            keyPath,
            "-out",
            certPath,
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    return { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8"), certPath };
}
