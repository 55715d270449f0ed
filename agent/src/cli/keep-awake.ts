// `keep-awake -- CMD [ARGS...]`: run CMD with a hold that lasts while it runs; exit with its code.
import { ChildProcess, spawn } from "node:child_process";
import { errorMessage, UsageError } from "../../../common/errors";
import { createHold, dropHold, HOLD_REFRESH_MS, refreshHold, selfOwner } from "../signals/holds";
import { Clock } from "../system/clock";
import { inheritedIgnoredSignals, SIGIGN_ENV } from "../system/ignored-signals";
import { Command, optionValue } from "./command";

/** The signals keep-awake forwards to CMD, with their numbers (for 128+N and the SigIgn mask). */
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };

export const keepAwakeCommand: Command = {
    name: "keep-awake",
    usage: "keep-awake [--reason TEXT] -- CMD [ARGS...]",
    synopsis: "keep-awake -- CMD [ARGS...]",
    summary: "keep awake while CMD runs; exit with CMD's code",
    description: `Runs CMD with a hold that lasts while it runs. Signals are forwarded to CMD (SIGINT only when
not on a terminal, which delivers it to CMD itself). Exits with CMD's exit code (128+N if CMD
died from signal N, 127 if it could not be started). The hold ends with CMD, and also when
keep-awake itself is killed (the hold records its pid and start time). Signals ignored when
keep-awake started (nohup's SIGHUP) stay ignored, for keep-awake and for CMD.
`,
    options: [{ flag: "--reason", value: "TEXT" }],
    maxPositionals: 0,
    takesRest: true,
    run: (inv) => keepAwake(inv.config().holdsDir, inv.rest ?? [], optionValue(inv, "--reason"), inv.clock),
};

function keepAwake(holdsDir: string, command: string[], reason: string | undefined, clock: Clock): Promise<number> {
    if (command.length === 0) throw new UsageError("keep-awake: give the command after --, e.g. keep-awake -- make build");
    const owner = selfOwner();
    const hold = createHold(
        holdsDir,
        { owner, reason: reason ?? `keep-awake ${command.join(" ")}`.slice(0, 200), command: command.join(" ").slice(0, 200) },
        clock.wall(),
    );
    const cleanup = (): void => dropHold(holdsDir, hold.id);
    process.on("exit", cleanup);
    // Holds end MAX_HOLD_MS after their file last changed: keep ours fresh while CMD runs.
    const refresh = setInterval(() => refreshHold(holdsDir, hold.id, clock.wall()), HOLD_REFRESH_MS);
    refresh.unref();
    const ignoredNames = ignoredSignalNames();
    return new Promise((resolve) => {
        const child = startCommand(command, ignoredNames);
        const handlers = forwardSignals(child, ignoredNames);
        const done = (code: number): void => {
            clearInterval(refresh);
            for (const [sig, h] of handlers) process.off(sig, h);
            cleanup();
            resolve(code);
        };
        child.on("error", (e) => {
            process.stderr.write(`keep-awake: cannot run ${command[0]}: ${errorMessage(e)}\n`);
            done(127);
        });
        child.on("exit", (code, signal) => {
            if (code !== null) done(code);
            else done(128 + (signal ? (SIGNALS[signal] ?? 1) : 1));
        });
    });
}

/** The forwarded signals our parent ignored (nohup: SIGHUP). */
function ignoredSignalNames(): string[] {
    const ignored = inheritedIgnoredSignals();
    return Object.keys(SIGNALS).filter((s) => ignored.has(SIGNALS[s]));
}

/**
 * Starts CMD. Signals our parent ignored stay ignored for CMD too: node resets them at start and
 * libuv resets them for children, so CMD then starts through a shell `trap ''`.
 */
function startCommand(command: string[], ignoredNames: string[]): ChildProcess {
    const env = { ...process.env };
    delete env[SIGIGN_ENV];
    if (ignoredNames.length === 0) return spawn(command[0], command.slice(1), { stdio: "inherit", env });
    const trap = `trap '' ${ignoredNames.map((s) => s.slice(3)).join(" ")}; exec "$@"`;
    return spawn("/bin/sh", ["-c", trap, command[0], ...command], { stdio: "inherit", env });
}

/** Installs the forwarding handlers (ignored signals get a no-op one); returns them for removal. */
function forwardSignals(child: ChildProcess, ignoredNames: string[]): Array<readonly [NodeJS.Signals, () => void]> {
    const forward = (sig: NodeJS.Signals) => (): void => {
        // On a terminal, Ctrl-C already reaches CMD (same process group): do not double it.
        if (sig === "SIGINT" && process.stdin.isTTY) return;
        try {
            child.kill(sig);
        } catch {
            /* gone */
        }
    };
    return Object.keys(SIGNALS).map((s) => {
        const sig = s as NodeJS.Signals;
        const h = ignoredNames.includes(s) ? (): void => undefined : forward(sig);
        process.on(sig, h);
        return [sig, h] as const;
    });
}
