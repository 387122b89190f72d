import { defineProject } from 'vitest/config';
import { sharedSetupFiles, workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'local-stack',
    include: ['test/**/*.test.ts'],
    setupFiles: sharedSetupFiles,
  },
});
