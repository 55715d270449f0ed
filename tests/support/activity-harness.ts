// The harness of the in-use tests against the real loopback sshd (tests/agent/activity-sshd-*.test.ts):
// the agent daemon (the real bundle, as a child process, as an ordinary user as on a box) sees only
// this test's sshd and terminals (isolated-view.ts) and publishes to the local CloudWatch endpoint;
// helpers read its status file, run its `status` command and read what reached the endpoint.
// Counting rules: docs/reference/metric.md.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StatusFile } from "../../agent/src/daemon/status-file";
import { listSessions } from "../../agent/src/signals/sessions";
import { agentBundle, Daemon, writeConfig } from "./agent";
import { clientEnv, CloudWatchEndpoint, startCloudWatchEndpoint } from "./cloudwatch-endpoint";
import { IsolatedView } from "./isolated-view";
import { sleep, SshdFixture, useSshd, waitUntil } from "./sshd";

const IID = "i-0123456789abcdef0";

type SessionUseRecord = NonNullable<StatusFile["sessionUse"]>[number];

/** What the `status` command prints (text and --json). */
interface StatusCli {
    text: string;
    json: {
        connected: number;
        active: number;
        idleSince: string | null;
        sessions: Array<{ user: string; tty: string | null; inUse: boolean; idleSeconds: number | null }>;
    };
}

export interface ActivityHarness {
    sshd: () => SshdFixture;
    cw: () => CloudWatchEndpoint;
    view: () => IsolatedView;
    /** Runs after the current test (last registered first). */
    cleanup: (fn: () => Promise<void> | void) => void;
    /** Starts the daemon as an ordinary user, sessionIdleSeconds = the harness's S unless `extra` says otherwise. */
    startAgent: (extra?: Record<string, unknown>) => { daemon: Daemon; stateDir: string };
    /** The `status` command as a user runs it (text and --json), against this agent's config. */
    statusCli: (stateDir: string) => StatusCli;
    status: (stateDir: string) => StatusFile | null;
    pidOf: (user: string) => number | undefined;
    useOf: (st: StatusFile | null, user: string) => SessionUseRecord | undefined;
    /** Polls the status file until `ok` (default timeout: S + 25 s). */
    waitStatus: (stateDir: string, ok: (st: StatusFile) => boolean, what: string, timeoutMs?: number) => Promise<StatusFile>;
    /** Checks `ok` on every status update for ms. */
    holdsFor: (stateDir: string, ms: number, ok: (st: StatusFile) => boolean, what: string) => Promise<void>;
    /** Max of each metric per period timestamp, from what reached the endpoint. */
    maxima: (metric: string) => Map<number, number>;
}

/**
 * Registers the hooks of the calling describe (sshd, CloudWatch endpoint, a fresh isolated view per
 * test, cleanups after each test) and returns the helpers. S is the agent's sessionIdleSeconds.
 */
export function useActivityHarness(S: number): ActivityHarness {
    const sshd = useSshd();
    let cw: CloudWatchEndpoint | undefined;
    let view: IsolatedView | undefined;
    const cleanups: Array<() => Promise<void> | void> = [];
    let agentUser: { uid: number; gid: number } | undefined;

    before(async () => {
        cw = await startCloudWatchEndpoint();
    });
    after(async () => {
        await cw?.close();
    });
    beforeEach(() => {
        cw?.reset();
        view = new IsolatedView(() => sshd().pid).start();
    });
    afterEach(async () => {
        for (const c of cleanups.splice(0).reverse()) await c();
        view?.stop();
    });

    const theCw = (): CloudWatchEndpoint => cw ?? assert.fail("CloudWatch endpoint not started");
    const theView = (): IsolatedView => view ?? assert.fail("no isolated view outside a test");

    function unprivileged(): { uid: number; gid: number } {
        if (agentUser) return agentUser;
        const name = sshd().addUser({ noKey: true, prefix: "isa" });
        const [uid, gid] = readFileSync("/etc/passwd", "utf8")
            .split("\n")
            .find((l) => l.startsWith(`${name}:`))!
            .split(":")
            .slice(2, 4)
            .map(Number);
        agentUser = { uid, gid };
        return agentUser;
    }
    function statusCli(stateDir: string): StatusCli {
        const args = [agentBundle(), "status", "--config", join(stateDir, "..", "agent.json")];
        return {
            text: execFileSync(process.execPath, args, { encoding: "utf8" }),
            json: JSON.parse(execFileSync(process.execPath, [...args, "--json"], { encoding: "utf8" })) as StatusCli["json"],
        };
    }
    function startAgent(extra: Record<string, unknown> = {}): { daemon: Daemon; stateDir: string } {
        const as = unprivileged();
        const v = theView();
        for (const d of [v.procRoot, v.devRoot, join(agentBundle(), "..")]) chmodSync(d, 0o755);
        const cfg = writeConfig({
            instanceId: IID,
            region: "us-east-1",
            sampleSeconds: 1,
            publishSeconds: 3,
            procRoot: v.procRoot,
            devRoot: v.devRoot,
            sshPorts: [sshd().port],
            sessionIdleSeconds: S,
            ...extra,
        });
        chmodSync(cfg.dir, 0o755);
        chownSync(cfg.stateDir, as.uid, as.gid);
        chownSync(cfg.holdsDir, as.uid, as.gid);
        const daemon = new Daemon(cfg.path, clientEnv(theCw().url), agentBundle(), as);
        cleanups.push(async () => {
            await daemon.stop("SIGKILL");
        });
        return { daemon, stateDir: cfg.stateDir };
    }
    function status(stateDir: string): StatusFile | null {
        try {
            return JSON.parse(readFileSync(join(stateDir, "status.json"), "utf8")) as StatusFile;
        } catch {
            return null;
        }
    }
    function pidOf(user: string): number | undefined {
        return listSessions(theView().procRoot).find((s) => s.user === user)?.pid;
    }
    function useOf(st: StatusFile | null, user: string): SessionUseRecord | undefined {
        const pid = pidOf(user);
        return st?.sessionUse?.find((r) => r.pid === pid);
    }
    async function waitStatus(stateDir: string, ok: (st: StatusFile) => boolean, what: string, timeoutMs = (S + 25) * 1000): Promise<StatusFile> {
        return waitUntil(
            () => {
                const st = status(stateDir);
                return st !== null && ok(st) ? st : false;
            },
            timeoutMs,
            `${what}; last status: ${JSON.stringify(status(stateDir)?.sessionUse)} active=${status(stateDir)?.active}`,
            250,
        );
    }
    async function holdsFor(stateDir: string, ms: number, ok: (st: StatusFile) => boolean, what: string): Promise<void> {
        const end = Date.now() + ms;
        while (Date.now() < end) {
            const st = status(stateDir);
            assert.ok(st !== null && ok(st), `${what}: ${JSON.stringify(st?.sessionUse)} active=${st?.active} connected=${st?.connected}`);
            await sleep(500);
        }
    }
    function maxima(metric: string): Map<number, number> {
        const m = new Map<number, number>();
        for (const d of theCw()
            .datapoints()
            .filter((x) => x.metricName === metric)) {
            m.set(d.timestamp, Math.max(m.get(d.timestamp) ?? -Infinity, d.statisticValues?.Maximum ?? d.value ?? NaN));
        }
        return m;
    }
    return {
        sshd,
        cw: theCw,
        view: theView,
        cleanup: (fn) => cleanups.push(fn),
        startAgent,
        statusCli,
        status,
        pidOf,
        useOf,
        waitStatus,
        holdsFor,
        maxima,
    };
}
