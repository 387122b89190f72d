import { defineConfig } from 'vitest/config';
import { sharedSetupFiles, workspaceAliases } from './vitest.shared.js';

// The tests Stryker runs against each mutant of packages/core/src: the core's own tests and the
// cross-package use-case and property tests that run on the memory adapters (no Postgres, no S3).
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: ['packages/core/test/**/*.test.ts', 'test/use-cases/**/*.test.ts', 'test/property/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.postgres.test.ts', 'test/property/postgres-*.test.ts'],
    setupFiles: sharedSetupFiles,
  },
});
