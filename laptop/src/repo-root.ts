/** Where the repository is, for the sources (laptop/src) and the bundle (laptop/dist) alike. */
import * as path from "node:path";

/**
 * Two levels up from this file, or from the bundle's chunks (build.mjs gives every chunk a
 * `__dirname` of laptop/dist): this module must stay directly in laptop/src.
 */
export const repoRoot = path.resolve(__dirname, "..", "..");
