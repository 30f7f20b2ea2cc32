/** The deterministic simulation of rotation (test/simulation/*.simulation-spec.ts): one process, a fake clock. */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test'], testRegex: '.*\\.simulation-spec\\.ts$', maxWorkers: 1 };
