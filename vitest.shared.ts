import { fileURLToPath } from 'node:url';

const rootDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * Vitest resolves `@selfie-lora/<pkg>` to `packages/<pkg>/src/index.ts` (TypeScript source, no
 * build needed). Typecheck, lint and dependency-cruiser get the same result through the
 * `@selfie-lora/source` export condition (tsconfig `customConditions`); plain Node ignores that
 * condition and loads `dist/index.js`.
 */
export const workspaceAliases: { find: RegExp; replacement: string }[] = [
  {
    find: /^@selfie-lora\/(core|adapters|http|replicate-simulator)$/,
    replacement: `${rootDir}packages/$1/src/index.ts`,
  },
  { find: /^@selfie-lora\/local-stack$/, replacement: `${rootDir}packages/local-stack/src/index.ts` },
  // The core's rehydrators, for repositories and tests only (packages/core/package.json `./persistence`).
  { find: /^@selfie-lora\/core\/persistence$/, replacement: `${rootDir}packages/core/src/persistence.ts` },
  // The adapters' subpath exports: each group alone (see packages/adapters/package.json).
  { find: /^@selfie-lora\/adapters\/(memory|postgres|s3|replicate|composition)$/, replacement: `${rootDir}packages/adapters/src/$1/index.ts` },
  // The testkit's groups (tests only; packages/testkit/package.json): photos, postgres, servers.
  { find: /^@selfie-lora\/testkit\/(photos|postgres|servers)$/, replacement: `${rootDir}packages/testkit/src/$1/index.ts` },
];

/** Shared by every project: sets fast-check's global numRuns from PROPERTY_SCALE. */
export const sharedSetupFiles: string[] = [`${rootDir}test/support/fast-check-setup.ts`];

/**
 * Per-test and per-hook time limits for every project. Vitest's 5 s default counts a file's
 * module loading against its first test; on a loaded 2-core machine that alone took over 5 s
 * (issue 9 point 9), so a test failed for the machine's load, not for its own behaviour. Tests
 * that wait for something poll with their own bounds; this only guards against a hang.
 */
export const sharedTimeouts = { testTimeout: 30_000, hookTimeout: 60_000 } as const;

/**
 * The tests that need no Postgres, S3 server, simulator or browser: the core's own, and the
 * use-case and property tests over the memory adapters. `npm run test:fast` and Stryker's
 * `npm run mutation` both run these.
 */
export const memoryOnlyTests = {
  include: ['packages/core/test/**/*.test.ts', 'test/use-cases/**/*.test.ts', 'test/property/**/*.test.ts'],
  exclude: ['**/node_modules/**', '**/*.postgres.test.ts', 'test/property/postgres-*.test.ts'],
} as const;
