import { defineConfig } from 'vitest/config';

// Workspace source resolution: each project config (packages/*/vitest.config.ts, test/) aliases
// `@selfie-lora/<pkg>` to `packages/<pkg>/src/index.ts` (see vitest.shared.ts), so tests run
// against TypeScript source with no prior build. tsc, eslint and dependency-cruiser reach the
// same files through the `@selfie-lora/source` export condition in each package.json.
export default defineConfig({
  test: {
    projects: ['packages/core', 'packages/adapters', 'packages/http', 'packages/replicate-simulator', 'packages/local-stack', 'packages/web', 'test'],
    // Always write a machine-readable report too: .ci/run reads reports/vitest.json.
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
