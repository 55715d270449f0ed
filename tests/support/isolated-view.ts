// What one test's agent may see of this shared machine: its own sshd's processes and terminals,
// nothing of the other SSH sessions and terminals that run here at the same time. A procRoot
// whose PID entries are symlinks to the real /proc/PID of the fixture's sshd and its
// descendants, and a devRoot whose pts/N entries are symlinks to the real /dev/pts/N of those
// sessions (and of terminals the test adds). The agent reads the real files through them:
// real titles, real parents, real terminal access times.
import { readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./agent";
import { FakeProc } from "./fakeproc";
import { descendantsOf } from "./sshd";

function bootTime(): number {
    return Number(/^btime\s+(\d+)/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
}

export class IsolatedView {
    readonly proc = new FakeProc(bootTime());
    readonly devRoot = tempDir("idle-stop-fakedev-");
    private readonly extraTtys = new Set<string>();
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly sshdPid: () => number | undefined) {
        mkdirSync(join(this.devRoot, "pts"));
    }

    get procRoot(): string {
        return this.proc.root;
    }

    /** Let the agent see this terminal (`pts/7`) too. */
    addTerminal(tty: string): void {
        this.extraTtys.add(tty);
        this.sync();
    }

    removeTerminal(tty: string): void {
        this.extraTtys.delete(tty);
        this.sync();
    }

    sync(): void {
        const root = this.sshdPid();
        const want = new Set<number>(root === undefined ? [] : [root, ...descendantsOf(root)]);
        const ttys = new Set(this.extraTtys);
        for (const pid of want) {
            try {
                const title = readFileSync(`/proc/${pid}/cmdline`, "utf8");
                for (const m of title.matchAll(/pts\/\d+/g)) ttys.add(m[0]);
            } catch {
                /* gone */
            }
        }
        for (const name of readdirSync(this.proc.root)) {
            if (/^\d+$/.test(name) && !want.has(Number(name))) rmSync(join(this.proc.root, name), { force: true });
        }
        for (const pid of want) {
            if (!existsSync(join(this.proc.root, String(pid)))) {
                try {
                    this.proc.linkReal(pid);
                } catch {
                    /* raced */
                }
            }
        }
        const pts = join(this.devRoot, "pts");
        for (const name of readdirSync(pts)) if (!ttys.has(`pts/${name}`)) rmSync(join(pts, name), { force: true });
        for (const tty of ttys) {
            const link = join(this.devRoot, tty);
            try {
                readlinkSync(link);
            } catch {
                try {
                    symlinkSync(`/dev/${tty}`, link);
                } catch {
                    /* raced */
                }
            }
        }
    }

    start(everyMs = 200): this {
        this.sync();
        this.timer = setInterval(() => this.sync(), everyMs);
        return this;
    }

    stop(): void {
        clearInterval(this.timer);
    }
}

/** The terminal (`pts/N`) a process has on its stdin, or null. */
export function ttyOf(pid: number): string | null {
    try {
        const m = /^\/dev\/(pts\/\d+)$/.exec(readlinkSync(`/proc/${pid}/fd/0`));
        return m ? m[1] : null;
    } catch {
        return null;
    }
}
