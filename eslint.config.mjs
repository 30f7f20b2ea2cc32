// @ts-check
/**
 * ESLint (flat config). TypeScript in the library, the apps, the tests and the benchmarks is linted with
 * typescript-eslint's type-checked rules against tsconfig.json (through the project service); the few plain
 * JavaScript files (Jest configs, build scripts, test helpers) with ESLint's recommended rules only.
 * Formatting is Prettier's job: eslint-config-prettier, last, turns off every rule that would fight it.
 */
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      '.payments-auth/**',
      // StrykerJS's sandbox copy of the repository while `npm run test:mutation` runs, and its reports.
      '.stryker-tmp/**',
      'reports/**',
      // The consumer fixture apps are separate projects with their own tsconfig and dependencies.
      'test/consumers/**',
    ],
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [eslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The two this config is for: every promise is awaited, handled or deliberately `void`ed (with a comment),
      // and none is passed where a plain callback is expected (an event listener, a Nest hook typed `void`).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: an `async` method without `await` is how the stores and the test fakes implement Promise-returning
      // interfaces (a throw becomes a rejection); 53 hits, none a bug.
      '@typescript-eslint/require-await': 'off',
      // Off: the library compiles three ways (tsconfig.json, the CommonJS and the ESM builds), and an assertion
      // one of them needs (NestAxiosInstance: Axios's two copies of its types) looks unnecessary to this one.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: control characters are matched on purpose (redaction, URL validation, stripping ANSI colours).
      'no-control-regex': 'off',
      // `_name` marks a binding kept on purpose: a parameter an interface requires, a key dropped by destructuring.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Rejecting with a caught `unknown` is a rethrow, which only-throw-error allows by default too.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `${new URLSearchParams(...)}` is the usual way to build a query string.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allow: [{ from: 'package', package: '@types/node', name: ['URL', 'URLSearchParams'] }] },
      ],
    },
  },
  {
    // Specs, test helpers and fakes.
    files: ['**/*.spec.ts', '**/*.*-spec.ts', 'test/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      // Off in tests: supertest's `res.body`, Nest's `app.getHttpServer()` and Jest's `expect.any()` are `any`
      // by design, and asserting on them is what a test does.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Off in tests: `expect(store.method).toHaveBeenCalled()` on a Jest spy is not a detached method call.
      '@typescript-eslint/unbound-method': 'off',
      // Off in tests: a fake throws whatever a test queued for it, an Error or not.
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  prettier,
);
