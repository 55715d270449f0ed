// /proc mounted with hidepid hides other users' processes from the agent; the mount's gid= group
// is exempt, so the agent's user joins it (the agent's own check: ../system/hidepid.ts).
import { procMount } from "../system/hidepid";
import { Manifest } from "./manifest";
import { fail, say } from "./messages";
import { AGENT_USER } from "./paths";
import { getent, run } from "./system";

/** Before anything changes: without gid= on a hidepid /proc the agent cannot count sessions. */
export function checkProcAccess(): void {
    const mount = procMount("/proc");
    if (mount?.hidepid == null || mount.gid !== null) return;
    const hp = mount.hidepid;
    fail(
        `/proc is mounted with hidepid=${hp}: the agent (user ${AGENT_USER}) could not see other users' SSH sessions and would report none. ` +
            `Give the mount a group whose members see all processes, e.g. 'groupadd -r proc-readers' and in /etc/fstab ` +
            `'proc /proc proc defaults,hidepid=${hp},gid=proc-readers 0 0', then 'mount -o remount /proc', and deploy again (the installer adds ${AGENT_USER} to that group)`,
    );
}

/** After the user exists: join the hidepid mount's gid= group (recorded, so uninstall leaves it). */
export function joinProcGroup(manifest: Manifest): void {
    const mount = procMount("/proc");
    if (mount?.hidepid == null || mount.gid === null) return;
    const group = getent("group", String(mount.gid))?.[0];
    if (!group) fail(`/proc is mounted with hidepid and gid=${mount.gid}, but no group has id ${mount.gid}; create it and deploy again`);
    if (run("id", ["-nG", AGENT_USER]).stdout.trim().split(/\s+/).includes(group)) return;
    if (run("usermod", ["-a", "-G", group, AGENT_USER], { stderr: "inherit" }).code !== 0) {
        fail(`could not add ${AGENT_USER} to group ${group} (the gid= of the hidepid /proc mount)`);
    }
    manifest.add(`member ${AGENT_USER} ${group}`);
    say(`added ${AGENT_USER} to group ${group}: /proc is mounted with hidepid=${mount.hidepid},gid=${mount.gid}`);
}
