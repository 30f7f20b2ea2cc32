/**
 * The scale suite (test/*.scale-spec.ts): a real Redis Cluster and a Sentinel set started by the tests, worker
 * processes on them, and a 10 000-tenant cold burst; one suite at a time, since each loads both cores.
 */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test'], testRegex: '.*\\.scale-spec\\.ts$', maxWorkers: 1 };
