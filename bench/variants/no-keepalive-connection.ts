// Bench variant (not shipped): a new TCP+TLS connection for every request, as with the SDK's
// default handler settings before agent/src/publish/aws/connection.ts.
import * as http from "node:http";
import * as https from "node:https";

export function connectionAgent(url: URL): http.Agent {
    return url.protocol === "http:" ? new http.Agent({ keepAlive: false }) : new https.Agent({ keepAlive: false });
}
