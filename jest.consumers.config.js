/** Consumer fixture apps (test/consumers): installs from the registry, builds and runs; one file, in band. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.consumer-spec\\.ts$',
  maxWorkers: 1,
  testTimeout: 600_000,
};
