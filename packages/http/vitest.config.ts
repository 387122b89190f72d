import { defineProject } from 'vitest/config';
import { sharedSetupFiles, sharedTimeouts, workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'http',
    include: ['test/**/*.test.ts'],
    setupFiles: sharedSetupFiles,
    ...sharedTimeouts,
  },
});
