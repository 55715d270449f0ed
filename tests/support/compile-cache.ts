/**
 * Remembers what ts-node compiled, by file and source text, for the life of the mocha process.
 * `runProgram` (tests/support/pulumi-mocks.ts) forgets the program's modules before every run so
 * each run builds a fresh resource graph; without this, every run also re-transpiled all of them.
 * The output for one source text never changes, so a remembered one is exactly what a fresh
 * compile would give.
 */
interface TsNodeService {
    compile(code: string, fileName: string, lineOffset?: number): string;
}

const service = (process as unknown as Record<symbol, TsNodeService | undefined>)[Symbol.for("ts-node.register.instance")];

if (service) {
    const compile = service.compile.bind(service);
    const compiled = new Map<string, { code: string; output: string }>();
    service.compile = (code, fileName, lineOffset) => {
        const key = `${fileName}\0${lineOffset ?? 0}`;
        const hit = compiled.get(key);
        if (hit?.code === code) return hit.output;
        const output = compile(code, fileName, lineOffset);
        compiled.set(key, { code, output });
        return output;
    };
}
