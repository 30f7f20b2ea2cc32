/**
 * The scale suite (test/*.scale-spec.ts): a real Redis Cluster and a Sentinel set started by the tests, worker
 * processes on them, and a 10 000-tenant cold burst. Two files at a time: one alone keeps about half a core busy
 * (the clusters mostly wait on failovers and migrations), and no assertion here is a time.
 */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/test'], testRegex: '.*\\.scale-spec\\.ts$', maxWorkers: 2 };
