/**
 * The Jest suite against NestJS 11, in Jest's CommonJS mode (scripts/jest.sh, on Node 24): every @nestjs/* import
 * resolves to the NestJS 11 install in node_modules/.cache/nest11, and the specs and the library's sources run as
 * CommonJS, the way a NestJS 11 app loads the package.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  extensionsToTreatAsEsm: [],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: false }] },
  moduleNameMapper: {
    '^@nestjs/(axios|common|config|core|event-emitter|platform-express|schedule|terminus|testing)(/.*)?$':
      '<rootDir>/node_modules/.cache/nest11/node_modules/@nestjs/$1$2',
    ...base.moduleNameMapper,
  },
};
