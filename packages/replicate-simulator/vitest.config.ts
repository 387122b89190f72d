import { defineProject } from 'vitest/config';
import { sharedSetupFiles, sharedTimeouts, workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'replicate-simulator',
    include: ['test/**/*.test.ts'],
    setupFiles: sharedSetupFiles,
    ...sharedTimeouts,
  },
});
