import { defineConfig } from 'vitest/config';
import { memoryOnlyTests, sharedSetupFiles, sharedTimeouts, workspaceAliases } from './vitest.shared.js';

// `npm run test:fast`: what runs without Postgres, an S3 server, the simulator or a browser
// (README "Tests"). The full gate is still `npm test`.
export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: workspaceAliases },
        test: {
          name: 'memory',
          include: [...memoryOnlyTests.include],
          exclude: [...memoryOnlyTests.exclude],
          setupFiles: sharedSetupFiles,
          ...sharedTimeouts,
        },
      },
      'packages/web',
    ],
  },
});
