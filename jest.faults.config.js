/** The fault-injection suite (test/*.fault-spec.ts): worker processes, one scenario at a time. */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test'], testRegex: '.*\\.fault-spec\\.ts$', maxWorkers: 1 };
