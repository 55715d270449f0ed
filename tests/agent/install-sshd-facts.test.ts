// What the installer records of the system's sshd in agent.json (agent/src/install/sshd.ts,
// docs/reference/installer.md): the ports sshd and a socket-activating ssh.socket listen on, with
// the stack's, and LoginGraceTime. `sshd -T` text as OpenSSH prints it, `systemctl show` in its one-line and one-line-per-socket forms; the
// last test reads this machine's real `sshd -T`.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseConfig } from "../../agent/src/config";
import { readSshdFacts, socketUnitPorts, sshdFactsFromDump, withSshdFacts } from "../../agent/src/install/sshd";

const DUMP = [
    "port 22",
    "port 2299",
    "addressfamily any",
    "listenaddress [::]:2299",
    "listenaddress 0.0.0.0:22",
    "logingracetime 120",
    "maxstartups 10:30:100",
    "",
].join("\n");

describe("installer: sshd's facts in agent.json", () => {
    it("reads ports and LoginGraceTime from sshd -T output", () => {
        assert.deepEqual(sshdFactsFromDump(DUMP), { ports: [22, 2299], loginGraceSeconds: 120 });
        assert.deepEqual(sshdFactsFromDump("listenaddress 10.0.0.5:2222\nlogingracetime 0\n"), { ports: [2222], loginGraceSeconds: 0 });
        assert.deepEqual(sshdFactsFromDump(""), { ports: [], loginGraceSeconds: null });
    });

    it("reads the stream ports of Ubuntu's socket-activated ssh.socket (systemctl show ssh.socket -p Listen)", () => {
        assert.deepEqual(socketUnitPorts("Listen=[::]:22 (Stream)\n"), [22]);
        assert.deepEqual(socketUnitPorts("Listen=0.0.0.0:2222 (Stream) [::]:2222 (Stream)\n"), [2222]);
        assert.deepEqual(socketUnitPorts("Listen=[::]:22 (Stream)\nListen=0.0.0.0:443 (Stream)\n"), [22, 443]);
        assert.deepEqual(socketUnitPorts("Listen=\n"), [], "no such unit");
    });

    it("adds sshd's ports to the stack's and sets loginGraceSeconds; the agent accepts the result", () => {
        const given = Buffer.from(JSON.stringify({ instanceId: "i-0123456789abcdef0", sshPorts: [22, 2200] }));
        const out = JSON.parse(withSshdFacts(given, { ports: [22, 2299], loginGraceSeconds: 90 }).toString()) as Record<string, unknown>;
        assert.deepEqual(out, { instanceId: "i-0123456789abcdef0", sshPorts: [22, 2200, 2299], loginGraceSeconds: 90 });
        const c = parseConfig(out, "test");
        assert.deepEqual([c.sshPorts, c.loginGraceSeconds], [[22, 2200, 2299], 90]);
        // without sshPorts: the agent's default 22 with sshd's
        const bare = JSON.parse(withSshdFacts(Buffer.from("{}"), { ports: [2299], loginGraceSeconds: 120 }).toString()) as Record<string, unknown>;
        assert.deepEqual(bare, { sshPorts: [22, 2299], loginGraceSeconds: 120 });
        // nothing new, or nothing known: the given bytes unchanged
        const same = Buffer.from('{"sshPorts": [22], "loginGraceSeconds": 120}');
        assert.equal(withSshdFacts(same, { ports: [22], loginGraceSeconds: 120 }), same);
        assert.equal(withSshdFacts(same, null), same);
        // LoginGraceTime beyond the agent's range is clamped to it
        assert.equal(
            (JSON.parse(withSshdFacts(same, { ports: [22], loginGraceSeconds: 999999 }).toString()) as { loginGraceSeconds: number })
                .loginGraceSeconds,
            86400,
        );
    });

    it("this machine's sshd: the same facts as `sshd -T` prints", function () {
        if (process.getuid?.() !== 0) this.skip(); // sshd -T reads the host keys
        const facts = readSshdFacts();
        const dump = execFileSync("/usr/sbin/sshd", ["-T"], { encoding: "utf8" });
        assert.ok(facts !== null);
        assert.ok(facts.ports.length > 0);
        for (const p of facts.ports) assert.match(dump, new RegExp(`^(port ${p}|listenaddress \\S*:${p})$`, "m"));
        assert.equal(facts.loginGraceSeconds, Number(/^logingracetime (\d+)$/m.exec(dump)?.[1]));
    });
});
