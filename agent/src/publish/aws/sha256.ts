// SHA-256 and HMAC-SHA256 for @smithy/signature-v4 from node:crypto (the Checksum shape the
// signer expects), so no JavaScript hash implementation is bundled.
import type { Checksum, SourceData } from "@smithy/types";
import { createHash, createHmac, Hash } from "node:crypto";

function toBuffer(d: SourceData): Buffer {
    if (typeof d === "string") return Buffer.from(d, "utf8");
    if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    return Buffer.from(d);
}

export class NodeSha256 implements Checksum {
    private hash: Hash | ReturnType<typeof createHmac>;

    constructor(private readonly secret?: SourceData) {
        this.hash = this.fresh();
    }

    private fresh(): Hash | ReturnType<typeof createHmac> {
        return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.secret));
    }

    update(data: Uint8Array | string): void {
        this.hash.update(toBuffer(data));
    }

    digest(): Promise<Uint8Array> {
        return Promise.resolve(new Uint8Array(this.hash.digest()));
    }

    reset(): void {
        this.hash = this.fresh();
    }
}
