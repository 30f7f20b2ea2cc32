/**
 * Unit specs live beside the code in libs/ and apps/; integration tests over real HTTP live in test/.
 * Jest's ESM mode (run with `node --experimental-vm-modules`, see scripts/jest.sh): NestJS 12 is ESM-only, and
 * Jest's CommonJS mode can load it only on Node 24.9+.
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  // The consumer fixture apps are their own projects, with their own test runners (jest.consumers.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/'],
  modulePathIgnorePatterns: ['<rootDir>/test/consumers/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  moduleNameMapper: {
    // The library's sources import each other with the `.js` extensions its ESM build needs.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The package name and its subpath entries, exactly as users import them.
    '^nestjs-payments-auth$': '<rootDir>/libs/payments-auth/src/index.ts',
    '^nestjs-payments-auth/(redis|postgres|terminus|testing)$': '<rootDir>/libs/payments-auth/src/$1.ts',
    '^@app/sandbox(|/.*)$': '<rootDir>/apps/sandbox/src$1',
    '^@app/demo(|/.*)$': '<rootDir>/apps/demo/src$1',
  },
  setupFiles: ['<rootDir>/test/support/capture-logs.setup.ts'],
  globalSetup: '<rootDir>/test/support/log-capture.global-setup.ts',
  globalTeardown: '<rootDir>/test/support/log-capture.global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-line.reporter.js'],
  testTimeout: 30000,
};
