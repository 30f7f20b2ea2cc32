/**
 * The specs StrykerJS runs against a unit's mutants (`npm run test:mutation`, stryker.config.mjs names them per
 * unit). Transpiled without type checks: Stryker's mutants do not type-check by design, and a type check per file
 * would double the run.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/libs', '<rootDir>/test'],
  // The unit's spec paths (stryker.config.mjs), each a folder or a file name's start.
  testMatch: JSON.parse(process.env.PAYMENTS_AUTH_MUTATION_SPECS ?? '["libs/"]').map(
    (prefix) => `<rootDir>/${prefix}${prefix.endsWith('/') ? '**/' : ''}*.spec.ts`,
  ),
  testRegex: undefined,
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/dist/'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  // Stryker's own log capture and reporters; the repository's log-capture global setup is for `npm test`.
  setupFiles: [],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
};
