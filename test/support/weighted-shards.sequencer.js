/**
 * Jest's `--shard`, balanced by how long each file takes instead of by a hash of its path (which put the two
 * slowest files in one shard: 154 s against 110 s for the others). The slow files are listed with their seconds
 * (Jest's own figures from a fresh-clone `.ci/run`, four shards on two cores); every other file counts one
 * second. The files are dealt out longest first, each to the shard with the least so far. A figure gone stale only
 * unbalances the shards: every file still runs in exactly one of them.
 */
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const SECONDS = {
  'test/redis-instances.integration.spec.ts': 74,
  'test/renewal.integration.spec.ts': 57,
  'test/tenant-changes.integration.spec.ts': 46,
  'test/package.integration.spec.ts': 32,
  'test/redis-outage.integration.spec.ts': 22,
  'libs/payments-auth/src/testing/store-conformance.spec.ts': 19,
  'test/onboarding.integration.spec.ts': 17,
  'test/key-retirement.integration.spec.ts': 17,
  'test/postgres-store.integration.spec.ts': 15,
  'test/http-interceptor.integration.spec.ts': 11,
  'test/credential-target.property.spec.ts': 9,
  'libs/payments-auth/src/coordination/cluster-lease.spec.ts': 10,
  'test/token-call-limits.integration.spec.ts': 8,
  'test/rotation-safety.integration.spec.ts': 8,
  'test/token-call-outcomes.integration.spec.ts': 7,
  'test/blnk-token.integration.spec.ts': 7,
  'libs/payments-auth/src/providers/token-response.property.spec.ts': 6,
  'test/demo-security.e2e-spec.ts': 6,
  'test/demo.e2e-spec.ts': 6,
  'test/hostile-provider.integration.spec.ts': 5,
  'libs/payments-auth/src/engine/token-engine.spec.ts': 5,
  'test/blink-token.integration.spec.ts': 5,
  'test/operations.integration.spec.ts': 5,
  'test/telemetry.integration.spec.ts': 5,
};
const OTHER_FILE_SECONDS = 1;

class WeightedShards extends Sequencer {
  shard(tests, { shardIndex, shardCount }) {
    const seconds = (test) =>
      SECONDS[path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/')] ?? OTHER_FILE_SECONDS;
    const longestFirst = [...tests].sort((a, b) => seconds(b) - seconds(a) || a.path.localeCompare(b.path));
    const loads = new Array(shardCount).fill(0);
    const shards = loads.map(() => []);
    for (const test of longestFirst) {
      const lightest = loads.indexOf(Math.min(...loads));
      loads[lightest] += seconds(test);
      shards[lightest].push(test);
    }
    return shards[shardIndex - 1];
  }
}

module.exports = WeightedShards;
module.exports.SECONDS = SECONDS;
