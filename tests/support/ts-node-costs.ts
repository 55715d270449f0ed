/**
 * Two costs ts-node adds to every Pulumi-mocks program run, removed once per mocha process
 * (tests/support/setup.ts) without changing what any test runs or asserts:
 *
 * - Transpiling: `runProgram` (tests/support/pulumi-mocks.ts) forgets the program's modules before
 *   every run so each run builds a fresh resource graph, and ts-node re-transpiled all of them each
 *   time. Its output for one file's source text never changes, so it is remembered.
 * - Source-mapped stacks: @pulumi/pulumi keeps `new Error().stack` on every promise it makes (for
 *   its leak report at exit), and ts-node's source-map-support maps each of those stacks frame by
 *   frame: about half the CPU of a program run. Those stacks get V8's plain format; every other
 *   stack (a failing test's, an error's) is still mapped to the TypeScript lines.
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

// V8 calls it with `this` = Error.
const mapped = Error.prepareStackTrace?.bind(Error);

if (mapped) {
    Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown =>
        frames[0]?.getFunctionName() === "debuggablePromise"
            ? `${String(error)}${frames.map((frame) => `\n    at ${String(frame)}`).join("")}`
            : mapped(error, frames);
}
