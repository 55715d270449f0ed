// Checks that every tool a selected section needs is present, and fails loudly (exit 2, with the
// install command) instead of skipping anything. The harness installs nothing itself.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

export const REPO = resolve(__dirname, "..", "..");
export const BUNDLE = join(REPO, "agent", "dist", "idle-stop-agent.js");
const AWS_V2 = "/usr/bin/aws";

export type Section = "bundle" | "footprint" | "detection" | "scale" | "program";
export const ALL_SECTIONS: Section[] = ["bundle", "footprint", "detection", "scale", "program"];

export interface Tools {
    /** The pip-installed AWS CLI v1 executable (a pyenv shim resolved to the real script). */
    awsV1: string;
    awsV1Version: string;
    awsV2: string;
    awsV2Version: string;
    sshVersion: string;
}

function onPath(name: string): string[] {
    const out: string[] = [];
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
        if (!dir) continue;
        const p = join(dir, name);
        try {
            accessSync(p, constants.X_OK);
            if (statSync(p).isFile()) out.push(p);
        } catch {
            /* not here */
        }
    }
    return out;
}

function version(bin: string, args = ["--version"]): string | null {
    const r = spawnSync(bin, args, { encoding: "utf8", timeout: 60000, env: { ...process.env, AWS_CONFIG_FILE: "/dev/null" } });
    if (r.error || r.status !== 0) return null;
    return `${r.stdout}${r.stderr}`.trim().split("\n")[0];
}

/**
 * The blog's tool: AWS CLI v1 from pip. BENCH_AWS_V1 names it explicitly; otherwise the first
 * `aws` on PATH (not /usr/bin/aws) reporting aws-cli/1. A pyenv shim is resolved to the real
 * script (`pyenv which aws`) so the shim's own bash start-up is not charged to the cron job.
 */
function findAwsV1(): { path: string; version: string } | null {
    const candidates = process.env.BENCH_AWS_V1 ? [process.env.BENCH_AWS_V1] : onPath("aws").filter((p) => p !== AWS_V2);
    for (let p of candidates) {
        if (p.endsWith("/shims/aws")) {
            const r = spawnSync("pyenv", ["which", "aws"], { encoding: "utf8" });
            if (r.status === 0 && r.stdout.trim()) p = r.stdout.trim();
        }
        const v = version(p);
        if (v?.startsWith("aws-cli/1.")) return { path: p, version: v };
    }
    return null;
}

export function preflight(sections: Section[]): Tools {
    const missing: string[] = [];
    const need = (ok: boolean, what: string, fix: string): void => {
        if (!ok) missing.push(`  - ${what}\n      ${fix}`);
    };
    const has = (s: Section): boolean => sections.includes(s);
    need(process.getuid?.() === 0, "root (test users, a private sshd, PID namespaces)", "run as root, e.g. sudo -E npm run bench");
    const nodeMajor = Number(process.versions.node.split(".")[0]);
    need(nodeMajor >= 20, `node >= 20 (have ${process.versions.node})`, "install Node.js 20 or newer");
    need(existsSync(BUNDLE), `agent bundle ${BUNDLE}`, "npm run build (npm run bench does this first)");
    const sshNeeded = has("detection") || has("scale");
    if (sshNeeded) {
        need(existsSync("/usr/sbin/sshd"), "/usr/sbin/sshd", "apt-get install -y openssh-server");
        need(onPath("ssh").length > 0 && onPath("ssh-keygen").length > 0, "ssh, ssh-keygen", "apt-get install -y openssh-client");
        need(onPath("useradd").length > 0 && onPath("userdel").length > 0, "useradd, userdel", "apt-get install -y passwd");
    }
    if (has("detection")) {
        need(
            onPath("unshare").length > 0 && onPath("nsenter").length > 0,
            "unshare, nsenter (one PID namespace per detection lane)",
            "apt-get install -y util-linux",
        );
    }
    if (has("footprint") || has("detection") || has("scale")) {
        need(
            onPath("ps").length > 0 && onPath("grep").length > 0 && onPath("wc").length > 0,
            "ps, grep, wc (the blog's counting pipeline)",
            "apt-get install -y procps grep coreutils",
        );
    }
    if (has("footprint")) need(existsSync("/usr/bin/time"), "/usr/bin/time (GNU time: CPU and peak RSS of each cron run)", "apt-get install -y time");
    let awsV1 = { path: "", version: "" };
    let awsV2 = { path: "", version: "" };
    if (has("footprint") || has("detection")) {
        const v1 = findAwsV1();
        need(
            v1 !== null,
            "AWS CLI v1 (`aws` on PATH reporting aws-cli/1.x; the blog's tool)",
            "pip install awscli   (or set BENCH_AWS_V1=/path/to/aws)",
        );
        if (v1) awsV1 = v1;
    }
    if (has("footprint")) {
        const v2 = existsSync(AWS_V2) ? version(AWS_V2) : null;
        need(v2?.startsWith("aws-cli/2.") === true, `${AWS_V2} reporting aws-cli/2.x (Debian's awscli)`, "apt-get install -y awscli");
        if (v2) awsV2 = { path: AWS_V2, version: v2 };
    }
    if (missing.length > 0) {
        process.stderr.write(
            `bench: cannot run sections ${sections.join(",")}; missing:\n${missing.join("\n")}\n` +
                "Nothing was skipped and nothing is installed by the harness. Install the above, or choose sections with BENCH_SECTIONS.\n",
        );
        process.exit(2);
    }
    const ssh = spawnSync("ssh", ["-V"], { encoding: "utf8" });
    return {
        awsV1: awsV1.path,
        awsV1Version: awsV1.version,
        awsV2: awsV2.path,
        awsV2Version: awsV2.version,
        sshVersion: `${ssh.stderr ?? ""}${ssh.stdout ?? ""}`.trim() || "n/a",
    };
}
