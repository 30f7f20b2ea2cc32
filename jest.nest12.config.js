/**
 * The Jest suite against NestJS 12 (scripts/test-on-node.sh, on Node 24): every @nestjs/* import resolves to
 * the NestJS 12 install in node_modules/.cache/nest12. NestJS 12 is ESM-only; Jest's CommonJS mode loads it
 * through require(esm), which needs Node 24.9+ and --experimental-vm-modules.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  moduleNameMapper: {
    '^@nestjs/(axios|common|config|core|event-emitter|platform-express|schedule|terminus|testing)(/.*)?$':
      '<rootDir>/node_modules/.cache/nest12/node_modules/@nestjs/$1$2',
    ...base.moduleNameMapper,
  },
};
