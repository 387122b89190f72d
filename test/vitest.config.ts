import { defineProject } from 'vitest/config';
import { sharedSetupFiles, sharedTimeouts, workspaceAliases } from '../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'tests',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    setupFiles: sharedSetupFiles,
    ...sharedTimeouts,
  },
});
