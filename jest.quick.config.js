/**
 * `npm run test:quick`: the contributor's loop. The unit specs and the integration suites that take seconds, not
 * the ones that wait out token lifetimes, restart stores or pack the package (those run in `npm test`).
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: [
    ...base.testPathIgnorePatterns,
    '<rootDir>/test/redis-instances.integration.spec.ts',
    '<rootDir>/test/renewal.integration.spec.ts',
    '<rootDir>/test/tenant-changes.integration.spec.ts',
    '<rootDir>/test/redis-outage.integration.spec.ts',
    '<rootDir>/test/package.integration.spec.ts',
    '<rootDir>/test/onboarding.integration.spec.ts',
    '<rootDir>/test/postgres-store.integration.spec.ts',
    '<rootDir>/test/key-retirement.integration.spec.ts',
    '<rootDir>/libs/payments-auth/src/testing/store-conformance.spec.ts',
  ],
};
