// ESLint (flat config): typescript-eslint's type-aware recommended and stylistic rules for all
// TypeScript, plus Pulumi's own rules against Outputs in template literals. Formatting is Prettier's job
// (.prettierrc.json), so no rule here is about layout. Run with `npm run lint`.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        // Build output, bench scratch space and anything git ignores.
        ignores: ["node_modules/", "**/dist/", "bin/", "agent/.dist-*/", "bench/.work/", ".pulumi/"],
    },
    js.configs.recommended,
    {
        files: ["**/*.ts"],
        extends: [tseslint.configs.recommendedTypeChecked, tseslint.configs.stylisticTypeChecked],
        languageOptions: {
            // One TypeScript program per tsconfig.json, found per file (projectService): faster than `project`.
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            // Outputs are not strings: `${output}` prints a warning text, not the value (use pulumi.interpolate).
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // A promise nobody awaits loses its error; the agent and the laptop command are long-lived.
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            // From the strict set: a deprecated API is a future breakage (Node's crypto, the AWS SDK).
            "@typescript-eslint/no-deprecated": "error",
            // Async implementations of Promise-returning interfaces (sinks, fake endpoints) read better
            // than Promise.resolve wrappers, so an async function need not await.
            "@typescript-eslint/require-await": "off",
            // The house style: `T[]` for simple element types, `Array<{ ... }>` for object and function ones.
            "@typescript-eslint/array-type": ["error", { default: "array-simple" }],
            // `x as number` after a check says what the value is; the `x!` this rule wants says less.
            "@typescript-eslint/non-nullable-type-assertion-style": "off",
            // `a || b` on strings and numbers is deliberate here: "" and 0 mean "not set" (an empty
            // env var, rootVolumeGb 0), which `??` would keep. Objects still get the `??` advice.
            "@typescript-eslint/prefer-nullish-coalescing": ["error", { ignorePrimitives: true }],
            // `_`-prefixed names are deliberately unused (positional callback arguments, rest-omit).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
            ],
        },
    },
    {
        // Tests read untyped data on purpose: JSON a command printed, requests a fake endpoint got,
        // inputs the Pulumi mocks were handed. Asserting on its shape is the test; typing every
        // parse first would only restate the assertion. And they match control characters (ANSI
        // progress lines, escape codes that must not reach a terminal), so such regexes are meant.
        files: ["tests/**/*.ts"],
        rules: {
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-base-to-string": "off",
            "@typescript-eslint/restrict-template-expressions": "off",
            "no-control-regex": "off",
        },
    },
    {
        // Plain JavaScript: build scripts (ES modules) and the CommonJS `idle-stop` launcher; no types to check.
        files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
        extends: [tseslint.configs.disableTypeChecked],
        languageOptions: { globals: { ...globals.node } },
    },
    {
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: { sourceType: "commonjs" },
    },
);
