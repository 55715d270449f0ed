// The transfers signal (agent/src/signals/net-transfer.ts, docs/reference/metric.md "Transfers"):
// non-SSH traffic above transferBytesPerMinute counts, an idle box's background does not, and SSH
// traffic is taken out (judged by the SSH rule only). Other tests run at the same time on this
// machine and fill the loopback interface, which the signal leaves out anyway; so the transfer
// tests point the signal at a procRoot whose net/dev carries one interface, `eth0`, whose counters
// are the kernel's real counters (`ss`: payload both ways plus 66 header bytes per segment) of
// this test's own connections only: a loopback HTTP server serving curl, or the loopback sshd.
// The signal's own `ss` run over the real sshd's sockets is not replaced.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { NetTransfer, parseNetDev, readNetDev, TransferSettings, TransferUse } from "../../agent/src/signals/net-transfer";
import { listSessions, Session } from "../../agent/src/signals/sessions";
import { snapshotTraffic } from "../../agent/src/signals/tcp-traffic";
import { agentConfigDefaults } from "../../common/agent-config";
import { tempDir } from "../support/agent";
import { sleep, useSshd, waitUntil } from "../support/sshd";

const THRESHOLD = agentConfigDefaults.transferBytesPerMinute;
const PUBLISH_S = 2;
const IDLE_S = 6;

/** A procRoot whose net/dev has `eth0` = the real wire bytes of the sockets on one local port (monotonic: closed sockets keep theirs). */
class PortAsInterface {
    readonly procRoot = tempDir("idle-stop-netdev-");
    private readonly perSocket = new Map<string, number>();
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly port: () => number) {
        mkdirSync(join(this.procRoot, "net"));
        this.write();
    }

    total(): number {
        return [...this.perSocket.values()].reduce((a, b) => a + b, 0);
    }

    async refresh(): Promise<void> {
        for (const s of (await snapshotTraffic([this.port()])).sockets) {
            const wire = s.bytesReceived + s.bytesAcked + (s.segs ?? 0) * 66;
            this.perSocket.set(s.id, Math.max(this.perSocket.get(s.id) ?? 0, wire));
        }
        this.write();
    }

    start(): this {
        this.timer = setInterval(() => void this.refresh().catch(() => undefined), 250);
        return this;
    }

    stop(): void {
        clearInterval(this.timer);
    }

    private write(): void {
        const t = this.total();
        const rx = Math.floor(t / 2);
        writeFileSync(
            join(this.procRoot, "net", "dev"),
            [
                "Inter-|   Receive                                                |  Transmit",
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
                `    lo: 99999999999 1000 0 0 0 0 0 0 99999999999 1000 0 0 0 0 0 0`,
                `  eth0: ${rx} 10 0 0 0 0 0 0 ${t - rx} 10 0 0 0 0 0 0`,
                "",
            ].join("\n"),
        );
    }
}

function settings(procRoot: string, sshPorts: number[], extra: Partial<TransferSettings> = {}): TransferSettings {
    return { procRoot, transferBytesPerMinute: THRESHOLD, sessionIdleSeconds: IDLE_S, publishSeconds: PUBLISH_S, sshPorts, ...extra };
}

/** Samples every 250 ms (as the daemon does every sample) until `until` resolves; returns every reading. */
async function sampleWhile(signal: NetTransfer, sessions: () => Session[], until: Promise<unknown>): Promise<Array<{ at: number; d: TransferUse }>> {
    const out: Array<{ at: number; d: TransferUse }> = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
        const at = Date.now();
        out.push({ at, d: signal.sample({ now: at, sessions: sessions() }).detail });
        await sleep(250);
    }
    return out;
}

describe("transfers: non-SSH traffic counts, SSH traffic and an idle box's background do not", function () {
    this.timeout(120000);
    const sshd = useSshd();
    const stops: Array<() => void> = [];
    afterEach(() => {
        for (const s of stops.splice(0)) s();
    });

    it("parses /proc/net/dev as this machine prints it, loopback left out", () => {
        const real = readNetDev("/proc");
        assert.ok(real !== null && !real.has("lo"), JSON.stringify(real && [...real]));
        const text = "h1\nh2\n    lo: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n  eth0: 970496102 37205 0 0 0 0 0 0 4931468 32637 0 0 0 0 0 0\n";
        assert.deepEqual([...parseNetDev(text)], [["eth0", 970496102 + 4931468]]);
    });

    it("containers' bridges and veths are left out (a container's download counts once, on the physical interface); VPN interfaces stay", () => {
        const root = tempDir();
        mkdirSync(join(root, "net"));
        const names = [
            "lo",
            "ens5",
            "docker0",
            "br-1a2b3c4d5e6f",
            "veth12ab34c",
            "virbr0",
            "virbr0-nic",
            "cni0",
            "cni-podman0",
            "flannel.1",
            "cali8d2f1e3a",
            "vxlan.calico",
            "tun0",
            "wg0",
            "enp0s3",
        ];
        const line = (n: string): string => `${n.padStart(16)}: 1000 10 0 0 0 0 0 0 200 2 0 0 0 0 0 0`;
        writeFileSync(join(root, "net", "dev"), ["Inter-|   Receive", " face |bytes", ...names.map(line), ""].join("\n"));
        assert.deepEqual([...(readNetDev(root)?.keys() ?? [])], ["ens5", "tun0", "wg0", "enp0s3"]);
    });

    it("an idle box's background traffic does not count (the real /proc/net/dev of this machine)", async () => {
        const signal = new NetTransfer(settings("/proc", [sshd().port]), { measure: true });
        const readings = await sampleWhile(signal, () => [], sleep(PUBLISH_S * 3 * 1000 + 1000));
        const measured = readings.filter((r) => r.d.bytesPerMinute !== null);
        assert.ok(measured.length > 0, "measured at least one period");
        for (const r of measured) {
            assert.ok(r.d.bytesPerMinute! < THRESHOLD, `background ${r.d.bytesPerMinute} B/min`);
            assert.equal(r.d.inUse, false);
        }
    });

    it("a loopback HTTP server serving curl --limit-rate 100k counts, for sessionIdleSeconds after it ends", async () => {
        // larger than the socket buffers, so curl's rate limit paces it (it ends at --max-time)
        const body = Buffer.alloc(64 * 1024 * 1024, 0x62);
        const server = http.createServer((_req, res) => {
            res.on("error", () => undefined);
            res.end(body);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        stops.push(() => server.close());
        const port = (server.address() as AddressInfo).port;
        const eth = new PortAsInterface(() => port).start();
        stops.push(() => eth.stop());
        const signal = new NetTransfer(settings(eth.procRoot, [sshd().port]), { measure: true });
        const off = new NetTransfer(settings(eth.procRoot, [sshd().port], { transferBytesPerMinute: 0 }), { measure: true });
        const whileBusy = new NetTransfer(settings(eth.procRoot, [sshd().port], { sessionIdleSeconds: 0 }), { measure: true });
        const curl = spawn("curl", ["-s", "-o", "/dev/null", "--max-time", "12", "--limit-rate", "100k", `http://127.0.0.1:${port}/`], {
            stdio: "ignore",
        });
        stops.push(() => curl.kill("SIGKILL"));
        const curlDone = new Promise((r) => curl.on("exit", r));
        const both = (): void => {
            off.sample({ now: Date.now(), sessions: [] });
            whileBusy.sample({ now: Date.now(), sessions: [] });
        };
        const during = await sampleWhile(signal, () => (both(), []), curlDone);
        await eth.refresh();
        assert.ok(eth.total() > 1_000_000, `curl moved ${eth.total()} bytes`);
        const busy = during.filter((r) => r.d.inUse);
        assert.ok(busy.length > 0, JSON.stringify(during.map((r) => r.d.bytesPerMinute)));
        assert.ok(busy.every((r) => r.d.lastBusyBytesPerMinute! >= THRESHOLD));
        assert.match(NetTransfer.keptUp(busy[busy.length - 1].d)[0].detail, /^\d+\.\d MiB\/min non-SSH traffic$/);
        assert.equal(off.sample({ now: Date.now(), sessions: [] }).active, 0, "transferBytesPerMinute 0: off");
        // after the transfer: still counts within sessionIdleSeconds of the last sighting, then stops
        const lastBusyAt = Date.parse(signal.sample({ now: Date.now(), sessions: [] }).detail.lastBusyAt!);
        const endedAt = await waitUntil(
            () => (signal.sample({ now: Date.now(), sessions: [] }).active === 0 ? Date.now() : false),
            (IDLE_S + PUBLISH_S * 3) * 1000,
            "the transfer stops counting",
            250,
        );
        assert.ok(endedAt - lastBusyAt >= IDLE_S * 1000, `stopped counting ${endedAt - lastBusyAt} ms after the last sighting`);
        // sessionIdleSeconds 0: only while it lasts (the first quiet period ends it)
        await waitUntil(() => (both(), whileBusy.sample({ now: Date.now(), sessions: [] }).active === 0), PUBLISH_S * 3 * 1000, "while busy only");
    });

    it("an SSH transfer (ssh host cat, rate-limited) is not counted again as a transfer; without ss it is (fail toward in use)", async () => {
        const user = sshd().addUser();
        const eth = new PortAsInterface(() => sshd().port).start();
        stops.push(() => eth.stop());
        const signal = new NetTransfer(settings(eth.procRoot, [sshd().port]), { measure: true });
        const blind = new NetTransfer(settings(eth.procRoot, [sshd().port]), {
            measure: true,
            snapshot: () => Promise.reject(new Error("spawn ss ENOENT")),
        });
        // 25 KB every 0.25 s: ~6 MB/min of SSH payload, about 6x the threshold
        const job = sshd().ssh(user, "for i in $(seq 48); do head -c 25000 /dev/zero; sleep 0.25; done", { timeoutMs: 60000 });
        const sessions = (): Session[] => listSessions("/proc").filter((s) => s.user === user);
        let b: TransferUse | undefined;
        const readings = await sampleWhile(
            signal,
            () => {
                const s = sessions();
                b = blind.sample({ now: Date.now(), sessions: s }).detail;
                return s;
            },
            job,
        );
        const r = await job;
        // and after it (the connection's last bytes are in no socket counter any more)
        readings.push(...(await sampleWhile(signal, () => [], sleep(PUBLISH_S * 2 * 1000 + 1000))));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.length, 48 * 25000);
        await eth.refresh();
        const measured = readings.filter((x) => x.d.ssh === "ss" && x.d.bytesPerMinute !== null);
        assert.ok(measured.length >= 2, JSON.stringify(readings.map((x) => x.d)));
        for (const x of measured) assert.ok(x.d.bytesPerMinute! < THRESHOLD, `SSH counted as transfer: ${JSON.stringify(x.d)}`);
        assert.ok(
            readings.every((x) => !x.d.inUse),
            "never in use",
        );
        // the same bytes without `ss` to take SSH out: a transfer
        assert.equal(b?.ssh, "ss failed");
        assert.ok(b.lastBusyBytesPerMinute !== null && b.lastBusyBytesPerMinute >= THRESHOLD, JSON.stringify(b));
        assert.equal(b.inUse, true);
    });
});
