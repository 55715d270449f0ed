// Every server a test starts listens on 127.0.0.1 only (the project's network rule), on a port the
// kernel picks.
import type { AddressInfo, Server } from "node:net";

/** Starts listening on 127.0.0.1 on a free port; resolves with that port. */
export async function listenOnLoopback(server: Server): Promise<number> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return (server.address() as AddressInfo).port;
}
