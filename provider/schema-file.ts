/**
 * schema.json: the package schema, committed so reviewers see what other languages get and so a
 * change to the components' arguments shows up as a diff. `npm run schema` rewrites it (this module
 * run as a script); tests/package/schema.test.ts fails when it no longer matches the source.
 */
import * as fs from "fs";
import * as path from "path";
import { IdleStopProvider, packageDir } from "./package-provider";

export const schemaFile = path.join(packageDir, "schema.json");
export const regenerateCommand = "npm run schema";

/** The committed form: two-space indented JSON with a final newline. */
export function formatSchema(schemaJson: string): string {
    return JSON.stringify(JSON.parse(schemaJson), null, 2) + "\n";
}

if (require.main === module) {
    new IdleStopProvider().getSchema().then(
        (schemaJson) => {
            fs.writeFileSync(schemaFile, formatSchema(schemaJson));
            console.log(`wrote ${path.relative(process.cwd(), schemaFile)}`);
        },
        (err: Error) => {
            console.error(err.message);
            process.exit(1);
        },
    );
}
