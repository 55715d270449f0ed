/** Small queries over a recorded program run. */
import { strict as assert } from "assert";
import { RecordedResource } from "./pulumi-mocks";

export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

export function single(resources: RecordedResource[], type: string): RecordedResource {
    const found = ofType(resources, type);
    assert.equal(found.length, 1, `expected exactly one ${type}, got ${found.length}`);
    return found[0];
}

export function typeCounts(resources: RecordedResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

/** The one resource of a type whose logical name is `name`. */
export function named(resources: RecordedResource[], type: string, name: string): RecordedResource {
    const found = resources.filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `expected exactly one ${type} named ${name}, got ${found.length}`);
    return found[0];
}
