/**
 * Relays a TCP connection to stdin/stdout, as an SSH ProxyCommand must. Half-close is kept in
 * both directions: when ssh closes our stdin, the socket's write side ends (FIN) and the server's
 * remaining output still reaches ssh; the relay ends when the server closes its side.
 */
import * as net from "node:net";
import { Readable, Writable } from "node:stream";

export function relay(socket: net.Socket, input: Readable, output: Writable, greeting?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
        socket.setNoDelay(true);
        if (greeting) output.write(greeting);
        input.pipe(socket); // ends the socket's write side when input ends
        socket.pipe(output, { end: false });
        socket.on("error", reject);
        input.on("error", () => socket.end());
        socket.on("end", () => {
            // Everything the server sent is written (or queued) to output; let it drain.
            if (output.writableNeedDrain) output.once("drain", () => resolve());
            else resolve();
        });
        socket.on("close", (hadError) => {
            if (!hadError) resolve();
        });
    });
}

interface Connected {
    readonly socket: net.Socket;
    /** What the server said first, when asked to wait for it (already read from the socket). */
    readonly greeting?: Buffer;
}

/**
 * Connects to host:port, retrying refused and timed-out attempts until `deadline` (a booting box
 * accepts only once sshd is up). The connected socket is the one relayed: no probe connection.
 * `awaitGreeting`: the connection counts only once the server has said something (sshd's banner):
 * on a box that is still booting, a port may accept and close again.
 */
export async function connectWhenReady(
    host: string,
    port: number,
    deadline: number,
    options: { retryMs?: number; awaitGreeting?: boolean; onRetry?: () => void } = {},
): Promise<Connected> {
    const retryMs = options.retryMs ?? 1000;
    for (;;) {
        const attemptMs = Math.max(1000, Math.min(10000, deadline - Date.now()));
        try {
            return await connectOnce(host, port, attemptMs, options.awaitGreeting === true);
        } catch (err) {
            if (Date.now() + retryMs > deadline) throw err;
            options.onRetry?.();
            await new Promise((r) => setTimeout(r, retryMs));
        }
    }
}

function connectOnce(host: string, port: number, timeoutMs: number, awaitGreeting: boolean): Promise<Connected> {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host, port, allowHalfOpen: true });
        const fail = (err: Error): void => {
            clearTimeout(timer);
            socket.destroy();
            reject(err);
        };
        const timer = setTimeout(() => fail(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: "ETIMEDOUT" })), timeoutMs);
        const done = (greeting?: Buffer): void => {
            clearTimeout(timer);
            socket.removeAllListeners("error");
            socket.removeAllListeners("end");
            socket.removeAllListeners("close");
            resolve({ socket, greeting });
        };
        socket.once("error", fail);
        socket.once("connect", () => {
            if (!awaitGreeting) return done();
            const closed = () => fail(Object.assign(new Error(`${host}:${port} closed the connection before greeting`), { code: "ECONNRESET" }));
            socket.once("end", closed);
            socket.once("close", closed);
            socket.once("data", (chunk: Buffer) => {
                socket.pause();
                done(chunk);
            });
        });
    });
}
