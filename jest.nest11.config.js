/**
 * The Jest suite against NestJS 11, in Jest's CommonJS mode (scripts/jest.sh, on Node 24): every @nestjs/* import
 * resolves to the NestJS 11 install in node_modules/.cache/nest11, and the specs and the library's sources run as
 * CommonJS, the way a NestJS 11 app loads the package.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  // Only the suites that run the library inside a Nest application (module, providers, lifecycle, scheduler,
  // HTTP), which is what differs between majors; the unit specs in libs/ and apps/ never load NestJS. Left
  // out too, to keep CI within its time budget: the packed-package suite, whose apps run as child processes on
  // the repository's own NestJS 12 whatever this run maps (NestJS 11 apps with the tarball: test/consumers/
  // nest11-cjs); the several-instances-on-Redis suite, whose main test runs instances as child processes on
  // NestJS 12 too; and suites about store semantics, provider faults, load and URL parsing, whose Nest wiring
  // is the same as in the suites kept.
  roots: ['<rootDir>/test'],
  testPathIgnorePatterns: [
    ...base.testPathIgnorePatterns,
    '<rootDir>/test/redis-instances.integration.spec.ts',
    '<rootDir>/test/package.integration.spec.ts',
    '<rootDir>/test/tenant-changes.integration.spec.ts',
    '<rootDir>/test/onboarding.integration.spec.ts',
    '<rootDir>/test/credential-target.property.spec.ts',
    '<rootDir>/test/hostile-provider.integration.spec.ts',
    '<rootDir>/test/token-failures.integration.spec.ts',
    '<rootDir>/test/rotation-safety.integration.spec.ts',
    '<rootDir>/test/durable-store.integration.spec.ts',
    '<rootDir>/test/token-call-outcomes.integration.spec.ts',
    '<rootDir>/test/redis-outage.integration.spec.ts',
    '<rootDir>/test/store-records.integration.spec.ts',
    '<rootDir>/test/tenant-lifecycle-limits.integration.spec.ts',
    // No Nest application at all: they read the README and the validated options.
    '<rootDir>/test/readme-sections.spec.ts',
    '<rootDir>/test/documented-defaults.spec.ts',
  ],
  extensionsToTreatAsEsm: [],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: false }] },
  moduleNameMapper: {
    '^@nestjs/(axios|common|config|core|event-emitter|platform-express|schedule|terminus|testing)(/.*)?$':
      '<rootDir>/node_modules/.cache/nest11/node_modules/@nestjs/$1$2',
    ...base.moduleNameMapper,
  },
};
