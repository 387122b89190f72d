import { defineConfig } from 'vitest/config';
import { memoryOnlyTests, sharedSetupFiles, workspaceAliases } from './vitest.shared.js';

// The tests Stryker runs against each mutant of packages/core/src (no Postgres, no S3).
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    include: [...memoryOnlyTests.include],
    exclude: [...memoryOnlyTests.exclude],
    setupFiles: sharedSetupFiles,
  },
});
