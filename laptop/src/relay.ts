/**
 * Relays a TCP connection to stdin/stdout, as an SSH ProxyCommand must. Half-close is kept in
 * both directions: when ssh closes our stdin, the socket's write side ends (FIN) and the server's
 * remaining output still reaches ssh; the relay ends when the server closes its side.
 */
import * as net from "node:net";
import { Readable, Writable } from "node:stream";

export function relay(socket: net.Socket, input: Readable, output: Writable): Promise<void> {
    return new Promise((resolve, reject) => {
        socket.setNoDelay(true);
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

/**
 * Connects to host:port, retrying refused and timed-out attempts until `deadline` (a booting box
 * accepts only once sshd is up). The connected socket is the one relayed: no probe connection.
 */
export async function connectWhenReady(host: string, port: number, deadline: number, retryMs = 1000, onRetry?: () => void): Promise<net.Socket> {
    for (;;) {
        const attemptMs = Math.max(1000, Math.min(10000, deadline - Date.now()));
        try {
            return await connectOnce(host, port, attemptMs);
        } catch (err) {
            if (Date.now() + retryMs > deadline) throw err;
            onRetry?.();
            await new Promise((r) => setTimeout(r, retryMs));
        }
    }
}

function connectOnce(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host, port, allowHalfOpen: true });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: "ETIMEDOUT" }));
        }, timeoutMs);
        socket.once("connect", () => {
            clearTimeout(timer);
            socket.removeAllListeners("error");
            resolve(socket);
        });
        socket.once("error", (err) => {
            clearTimeout(timer);
            socket.destroy();
            reject(err);
        });
    });
}
