// One kept-alive connection to CloudWatch: a publish a minute then reuses its TCP+TLS session
// instead of a handshake each time (the handshake is most of a publish's CPU).
import * as http from "node:http";
import * as https from "node:https";

export function connectionAgent(url: URL): http.Agent {
    const options = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
    return url.protocol === "http:" ? new http.Agent(options) : new https.Agent(options);
}
