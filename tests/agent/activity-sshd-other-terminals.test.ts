// In use, not just connected (docs/reference/metric.md), against the real loopback sshd's
// machine: terminals no SSH session owns (a tmux pane, a `script` terminal). Terminal access times
// move in ~8 s steps, so sessionIdleSeconds is 15. Harness: tests/support/activity-harness.ts.
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { agentBundle, tempDir } from "../support/agent";
import { useActivityHarness } from "../support/activity-harness";
import { ttyOf } from "../support/isolated-view";
import { descendantsOf, sleep, waitUntil } from "../support/sshd";

const S = 15;

describe("in use, not just connected (real sshd, real terminals, real traffic)", function () {
    this.timeout(180000);
    const { view, cleanup, startAgent, waitStatus, holdsFor } = useActivityHarness(S);

    it("a detached tmux running top does not count; input on a terminal sshd did not open does, as one", async () => {
        const { stateDir } = startAgent();
        const sock = join(tempDir(), "tmux.sock");
        execFileSync("tmux", ["-S", sock, "new-session", "-d", "-x", "80", "-y", "24", "top -d 1"]);
        cleanup(() => {
            try {
                execFileSync("tmux", ["-S", sock, "kill-server"], { stdio: "ignore" });
            } catch {
                /* gone */
            }
        });
        const tmuxTty = execFileSync("tmux", ["-S", sock, "display-message", "-p", "#{pane_tty}"], { encoding: "utf8" })
            .trim()
            .replace(/^\/dev\//, "");
        assert.match(tmuxTty, /^pts\/\d+$/);
        view().addTerminal(tmuxTty);

        // The terminal sshd did not open is created (and typed on) now, but shown to the agent only
        // once the tmux part is done, by then well past its creation: only the input keeps it in use.
        const script: ChildProcess = spawn("script", ["-qfc", "cat", "/dev/null"], { stdio: ["pipe", "ignore", "ignore"] });
        cleanup(() => {
            script.kill("SIGKILL");
        });
        const cat = await waitUntil(() => descendantsOf(script.pid as number).find((p) => ttyOf(p) !== null), 10000, "script's terminal");
        const createdBy = Date.now();
        const scriptTty = ttyOf(cat) as string;
        const typer = setInterval(() => script.stdin?.write("hello\n"), 2000);
        cleanup(() => clearInterval(typer));

        const paneSeenFrom = Date.now() + 500; // a status written after this comes from a sample that saw the pane
        // top redraws every second (output); a new terminal counts from its creation, then not
        const st = await waitStatus(
            stateDir,
            (x) => Date.parse(x.updatedAt) > paneSeenFrom && x.otherTerminalsInUse === 0 && x.active === 0,
            "the tmux pane not in use",
        );
        assert.equal(st.connected, 0);
        await holdsFor(stateDir, 6000, (x) => x.active === 0, "top's output never counts");

        await sleep(Math.max(0, createdBy + (S + 5) * 1000 - Date.now())); // past its creation: only the input keeps it in use now
        view().addTerminal(scriptTty);
        await waitStatus(stateDir, (x) => x.otherTerminalsInUse === 1, "the typed-on terminal in use", 10000);
        await holdsFor(stateDir, 3000, (x) => x.otherTerminalsInUse === 1 && x.active === 1, "input keeps it in use, as one");
        const st2 = await waitStatus(stateDir, () => true, "status");
        assert.equal(st2.otherTerminalsInUse, 1, JSON.stringify(st2));
        assert.equal(st2.active, 1);
        const cli = JSON.parse(
            execFileSync(process.execPath, [agentBundle(), "status", "--json", "--config", join(stateDir, "..", "agent.json")], { encoding: "utf8" }),
        ) as { otherTerminals: { ttys: string[] }; active: number };
        assert.deepEqual(cli.otherTerminals.ttys, [scriptTty]);
        assert.ok(!cli.otherTerminals.ttys.includes(tmuxTty));
    });
});
