// The installer's one-line login notice names the signals that are on (docs/reference/installer.md);
// the installed notice itself is checked over real SSH in install.system.test.ts.
import { strict as assert } from "assert";
import { programAgentDefaults } from "../../common/agent-config";
import { parseConfig } from "../../agent/src/config";
import { loginNotice, NoticeSettings } from "../../agent/src/install/files";

/** agent.json as the program writes it at the stack's defaults, with these changes. */
function settings(changes: Partial<NoticeSettings> = {}): NoticeSettings {
    const config = parseConfig(
        {
            instanceId: "i-0123456789abcdef0",
            idleMinutes: 30,
            sessionIdleSeconds: programAgentDefaults.sessionIdleMinutes * 60,
            busyCpuPercent: programAgentDefaults.busyCpuPercent,
            busyProcessPercent: programAgentDefaults.busyProcessPercent,
            busyGpuPercent: programAgentDefaults.busyGpuPercent,
            transferBytesPerMinute: programAgentDefaults.transferBytesPerMinute,
            ...changes,
        },
        "agent.json",
    );
    return config;
}

describe("the login notice", () => {
    it("names every signal that is on at the stack's defaults, in one line", () => {
        const notice = loginNotice(settings());
        assert.equal(
            notice,
            "idle-stop: this machine stops after 30 idle minutes with no use (typing, SSH traffic, busy processes, GPU, transfers); 'idle-stop hold 2h' keeps it awake.",
        );
        assert.doesNotMatch(notice, /[\n\r]/);
    });

    it("leaves out each signal set to 0", () => {
        assert.match(loginNotice(settings({ busyProcessPercent: 0 })), /with no use \(typing, SSH traffic, GPU, transfers\);/);
        assert.match(loginNotice(settings({ busyGpuPercent: 0 })), /with no use \(typing, SSH traffic, busy processes, transfers\);/);
        assert.match(loginNotice(settings({ transferBytesPerMinute: 0 })), /with no use \(typing, SSH traffic, busy processes, GPU\);/);
        assert.match(
            loginNotice(settings({ busyProcessPercent: 0, busyGpuPercent: 0, transferBytesPerMinute: 0 })),
            /with no use \(typing, SSH traffic\);/,
        );
    });

    it("names a busy CPU when busyCpuPercent is on", () => {
        assert.match(loginNotice(settings({ busyCpuPercent: 90 })), /\(typing, SSH traffic, busy CPU, busy processes, GPU, transfers\)/);
    });

    it("says SSH sessions under the original rule (sessionIdleSeconds 0), and keeps the original line when nothing else counts", () => {
        assert.match(loginNotice(settings({ sessionIdleSeconds: 0 })), /with no use \(SSH sessions, busy processes, GPU, transfers\);/);
        assert.equal(
            loginNotice(settings({ sessionIdleSeconds: 0, busyProcessPercent: 0, busyGpuPercent: 0, transferBytesPerMinute: 0, idleMinutes: 1 })),
            "idle-stop: this machine stops after 1 idle minute with no SSH session; 'idle-stop hold 2h' keeps it awake.",
        );
    });

    it("holds nothing the double-quoted shell string would expand", () => {
        for (const changes of [{}, { sessionIdleSeconds: 0 }, { busyCpuPercent: 50 }, { idleMinutes: undefined }] as Array<Partial<NoticeSettings>>) {
            assert.doesNotMatch(loginNotice(settings(changes)), /["$`\\]/);
        }
    });
});
