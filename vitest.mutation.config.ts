import { defineConfig } from 'vitest/config';
import { memoryOnlyTests, sharedSetupFiles, sharedTimeouts, workspaceAliases } from './vitest.shared.js';

// The tests Stryker runs against each mutant of packages/core/src (no Postgres, no S3).
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: [...memoryOnlyTests.include],
    exclude: [...memoryOnlyTests.exclude],
    setupFiles: sharedSetupFiles,
    // As in the suite: under a loaded machine the audit over 300 owners takes more than vitest's 5 s.
    ...sharedTimeouts,
  },
});
