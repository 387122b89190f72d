import { defineProject } from 'vitest/config';
import { sharedTimeouts } from '../../vitest.shared.js';

// Unit tests of the client's pure parts (file checks, step wording, schemas); the browser tests
// live in test/browser/ of the test workspace.
export default defineProject({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: { name: 'web', include: ['test/**/*.test.ts'], environment: 'node', ...sharedTimeouts },
});
