// Client traffic patterns through a real `ssh -N -L` forward (a notty session): a local TCP sink
// on the server side, a client that writes `bytes` every `everyMs` into the forwarded port. This is
// the shape of VS Code Remote-SSH (its remote protocol's 13-byte keep-alive every 5 s) and of
// lighter or heavier real use, driven by real ssh clients against the loopback sshd fixture.
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import { freePort, SshdFixture, waitUntil } from "./sshd";

export interface ForwardOptions {
    /** ssh's own keep-alive (`ServerAliveInterval`), seconds; 0 = off. */
    serverAliveSeconds: number;
    /** Application bytes written per tick into the forward (0 = none). */
    bytes: number;
    everyMs: number;
}

export interface ForwardedTraffic {
    readonly ssh: ChildProcess;
    /** Bytes the sink received so far (the application payload that crossed the connection). */
    received(): number;
    close(): Promise<void>;
}

/** Opens `ssh -N -L` to a sink on 127.0.0.1 and starts writing. Resolves once bytes flow. */
export async function forwardedTraffic(sshd: SshdFixture, user: string, opts: ForwardOptions): Promise<ForwardedTraffic> {
    let received = 0;
    const conns = new Set<net.Socket>();
    const sink = net.createServer((c) => {
        conns.add(c);
        c.on("data", (d: Buffer) => (received += d.length));
        c.on("error", () => undefined);
        c.on("close", () => conns.delete(c));
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const sinkPort = (sink.address() as net.AddressInfo).port;
    const localPort = await freePort();
    const args = [
        ...sshd.clientOptions(),
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        `ServerAliveInterval=${opts.serverAliveSeconds}`,
        "-L",
        `127.0.0.1:${localPort}:127.0.0.1:${sinkPort}`,
        `${user}@${sshd.host}`,
    ];
    const ssh = spawn("ssh", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    ssh.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    let exited = false;
    const exit = new Promise<void>((r) =>
        ssh.on("exit", () => {
            exited = true;
            r();
        }),
    );
    let client: net.Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const close = async (): Promise<void> => {
        clearInterval(timer);
        client?.destroy();
        for (const c of conns) c.destroy();
        sink.close();
        if (!exited) {
            ssh.kill("SIGTERM");
            const t = setTimeout(() => ssh.kill("SIGKILL"), 3000);
            await exit;
            clearTimeout(t);
        }
    };
    try {
        client = await waitUntil(
            () =>
                new Promise<net.Socket | false>((resolve) => {
                    if (exited) throw new Error(`ssh -L exited: ${err}`);
                    const s = net.connect({ host: "127.0.0.1", port: localPort });
                    s.once("connect", () => resolve(s));
                    s.once("error", () => resolve(false));
                }),
            20000,
            "the forwarded port",
            200,
        );
        client.on("error", () => undefined);
        const payload = Buffer.alloc(opts.bytes, 0x61);
        if (opts.bytes > 0) {
            client.write(payload);
            timer = setInterval(() => client?.write(payload), opts.everyMs);
            await waitUntil(() => received > 0, 20000, "bytes through the forward");
        }
    } catch (e) {
        await close();
        throw e;
    }
    return { ssh, received: () => received, close };
}
