// The manifest (/opt/idle-stop/manifest): one "kind path" line per thing this installation
// created, so uninstall.sh removes exactly that (docs/reference/installer.md); and the one way
// the installer writes a file.
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { MANIFEST, MARKER } from "./paths";
import { fail } from "./messages";

const HEADER = "# idle-stop manifest: what the installer created; uninstall.sh removes exactly this\n";

export class Manifest {
    constructor(private readonly path = MANIFEST) {}

    /** Starts the file when this is the first installation. */
    create(): void {
        if (existsSync(this.path)) return;
        writeFileSync(this.path, HEADER, { mode: 0o644 });
        chmodSync(this.path, 0o644);
    }

    private lines(): string[] {
        try {
            return readFileSync(this.path, "utf8").split("\n");
        } catch {
            return [];
        }
    }

    has(entry: string): boolean {
        return this.lines().includes(entry);
    }

    add(entry: string): void {
        if (this.has(entry)) return;
        writeFileSync(this.path, `${entry}\n`, { flag: "a" });
    }

    remove(entry: string): void {
        if (!existsSync(this.path)) return;
        writeFileSync(
            `${this.path}.tmp`,
            this.lines()
                .filter((l) => l !== entry)
                .join("\n"),
        );
        renameSync(`${this.path}.tmp`, this.path);
    }

    /** PATH may be (over)written by us: it is absent, recorded, or carries our marker. */
    claimFile(path: string): void {
        if (exists(path) && !this.has(`file ${path}`) && !carriesMarker(path)) {
            fail(`${path} exists and was not installed by idle-stop; refusing to overwrite it (move it away and deploy again)`);
        }
        this.add(`file ${path}`);
    }

    /** Removes PATH if this installation created it. */
    removeOwnedFile(path: string): void {
        if (!this.has(`file ${path}`)) return;
        rmSync(path, { force: true });
        this.remove(`file ${path}`);
    }
}

/** Exists, or is a symbolic link (dangling ones too). */
function exists(path: string): boolean {
    try {
        lstatSync(path);
        return true;
    } catch {
        return false;
    }
}

function carriesMarker(path: string): boolean {
    try {
        return readFileSync(path, "utf8").includes(MARKER);
    } catch {
        return false;
    }
}

/** Installs CONTENT as DEST, root-owned with MODE, atomically (a new file renamed over DEST). */
export function putFile(dest: string, content: string | Buffer, mode: number): void {
    const tmp = `${dest}.idle-stop-new`;
    rmSync(tmp, { force: true });
    writeFileSync(tmp, content, { mode, flag: "wx" });
    chownSync(tmp, 0, 0);
    chmodSync(tmp, mode);
    renameSync(tmp, dest);
}
