// Real SSH sessions for the benchmarks, on top of tests/support/sshd.ts (its keys, users and
// client options), but against any port (detection lanes run their own sshd in a PID namespace).
import { ChildProcess } from "node:child_process";
import { SshdFixture } from "../../tests/support/sshd";
import { killQuiet, sleep, spawnTracked } from "./util";

const READY = "__IDLE_STOP_BENCH_READY__";

export interface OpenSession {
    child: ChildProcess;
    /** ms since the epoch when the remote command had started (ready marker seen). */
    readyAt: number;
    /** Kill the client and wait for it to exit; resolves with the exit time. */
    close(): Promise<number>;
}

/** Client options of the fixture with the port replaced. */
function clientOptionsFor(fixture: SshdFixture, port: number): string[] {
    const opts = fixture.clientOptions();
    const i = opts.indexOf("-p");
    if (i < 0) throw new Error("fixture client options without -p");
    opts[i + 1] = String(port);
    return opts;
}

/** Opens one SSH connection (`-tt` for a pts session, `-T` for notty) that runs sleep until closed. */
export function openSession(fixture: SshdFixture, user: string, port: number, opts: { pty: boolean; timeoutMs?: number }): Promise<OpenSession> {
    const half = READY.length >> 1;
    const command = `echo ${READY.slice(0, half)}""${READY.slice(half)}; exec sleep 7200`;
    const args = [...clientOptionsFor(fixture, port), opts.pty ? "-tt" : "-T", `${user}@${fixture.host}`, command];
    const child = spawnTracked("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin?.on("error", () => undefined);
    let out = "";
    let exited = false;
    const exit = new Promise<number>((r) =>
        child.once("exit", () => {
            exited = true;
            r(Date.now());
        }),
    );
    const close = async (): Promise<number> => {
        if (exited) return exit;
        killQuiet(child.pid, "SIGTERM");
        const t = setTimeout(() => killQuiet(child.pid, "SIGKILL"), 3000);
        const at = await exit;
        clearTimeout(t);
        return at;
    };
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            void close().then(() => reject(new Error(`ssh ${user}@:${port} not ready after ${opts.timeoutMs ?? 30000} ms: ${out.slice(-300)}`)));
        }, opts.timeoutMs ?? 30000);
        const onData = (d: Buffer): void => {
            out += d.toString();
            if (out.includes(READY)) {
                clearTimeout(timer);
                child.stdout?.off("data", onData);
                child.stdout?.resume();
                resolve({ child, readyAt: Date.now(), close });
            }
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
        void exit.then(async () => {
            await sleep(0);
            clearTimeout(timer);
            if (!out.includes(READY)) reject(new Error(`ssh ${user}@:${port} exited before ready: ${out.slice(-300)}`));
        });
    });
}
