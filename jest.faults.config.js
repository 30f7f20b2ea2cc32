/**
 * The fault-injection suite (test/*.fault-spec.ts): worker processes against a provider that revokes on reuse.
 * Two files at a time: a scenario mostly waits on token lifetimes (about 0.6 of a core for one file), so two side
 * by side halve the suite's time on two cores; within a file, one scenario at a time.
 */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test'], testRegex: '.*\\.fault-spec\\.ts$', maxWorkers: 2 };
