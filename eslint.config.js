// @ts-check
import js from '@eslint/js';
import { fixupPluginRules } from '@eslint/compat';
import neverthrow from 'eslint-plugin-neverthrow';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'reports/**', 'coverage/**', '.data/**', '.stryker-tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the nearest tsconfig.json (root, packages/*, test/).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: {
      // eslint-plugin-neverthrow 1.1.4 still calls context.parserServices / context.getScope(),
      // removed in ESLint 9; @eslint/compat puts them back.
      neverthrow: fixupPluginRules(neverthrow),
    },
    rules: {
      'neverthrow/must-use-result': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Tests unwrap Results on purpose (a wrong Err fails the test); the rule cannot see through
    // `await`, so it guards production code only.
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: { 'neverthrow/must-use-result': 'off' },
  },
  {
    // Plain JS config files (eslint.config.js, .dependency-cruiser.cjs): no type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      'neverthrow/must-use-result': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
