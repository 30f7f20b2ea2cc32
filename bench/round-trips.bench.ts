import Redis from 'ioredis';
import { BlinkTokenService, BlnkTokenService, type TokenStore } from 'nestjs-payments-auth';
import { PostgresTokenStore } from 'nestjs-payments-auth/postgres';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { startPostgres } from '../test/support/postgres.server';
import { startRedisCluster } from '../test/support/redis-cluster.server';
import { startRedis } from '../test/support/redis.server';
import { sandboxTenant, startBenchApp } from './support/bench-app';
import type { BenchSection } from './support/report';
import { startSandboxProcess } from './support/sandbox-process';
import { round, sleep } from './support/stats';

const TENANTS = 100;
/** Longer than the recovery window a never-used store imposes before the first Blnk refresh (max(4 s, 3 s + 1 s)). */
const SETTLE_MS = 5_000;

/** Counts a store's operations: Redis commands as each server counts them, or the PostgreSQL store's statements. */
interface OperationCounter {
  read(): Promise<number>;
  close(): Promise<void>;
}

/** total_commands_processed over every master; each reading's own INFO is counted by the next one, and subtracted. */
function redisCounter(ports: number[]): OperationCounter {
  const clients = ports.map((port) => new Redis({ host: '127.0.0.1', port, enableReadyCheck: false }));
  let readings = 0;
  return {
    read: async () => {
      const totals = await Promise.all(
        clients.map(async (client) => Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))?.[1])),
      );
      readings += 1;
      return totals.reduce((sum, total) => sum + total, 0) - (readings - 1) * clients.length;
    },
    close: async () => clients.forEach((client) => client.disconnect()),
  };
}

interface Phase {
  calls: number;
  operations: number;
}

/**
 * One app with TENANTS tenants (a Blink key and a Blnk grant each) on `store`: the operations of their first
 * token calls, then of one forced renewal each, less what the store's once-a-second loss check did meanwhile
 * (measured over an idle interval of the same app).
 */
async function measure(store: TokenStore, counter: OperationCounter): Promise<{ first: Phase; renewal: Phase }> {
  const sandbox = await startSandboxProcess();
  try {
    const grants = await sandbox.createGrants(DEFAULT_BLNK_CLIENT.clientId, TENANTS);
    const tenants = Object.fromEntries(grants.map((grant, index) => [`t${index}`, sandboxTenant(sandbox, grant)]));
    const app = await startBenchApp({ tenants, store, tokenCallTimeoutMs: 3_000 });
    try {
      await sleep(SETTLE_MS);
      const idleStart = await counter.read();
      const idleStartedAt = Date.now();
      await sleep(2_000);
      const idlePerMs = ((await counter.read()) - idleStart) / (Date.now() - idleStartedAt);
      const [blink, blnk] = [app.get(BlinkTokenService), app.get(BlnkTokenService)];
      const phase = async (work: (tenant: string) => Promise<unknown>): Promise<Phase> => {
        const before = await counter.read();
        const startedAt = Date.now();
        for (const tenant of Object.keys(tenants)) await work(tenant);
        const operations = (await counter.read()) - before - idlePerMs * (Date.now() - startedAt);
        return { calls: TENANTS * 2, operations }; // a Blink and a Blnk token call per tenant
      };
      const first = await phase((tenant) => Promise.all([blink.getToken(tenant), blnk.getToken(tenant)]));
      const renewal = await phase((tenant) => Promise.all([blink.forceRenewal(tenant), blnk.forceRenewal(tenant)]));
      return { first, renewal };
    } finally {
      await app.close();
    }
  } finally {
    await sandbox.stop();
  }
}

/** 8. Round trips to the store per token call, as the store's server counts them. */
export async function roundTrips(): Promise<BenchSection> {
  const rows: Array<Array<string | number>> = [];
  const add = (name: string, result: { first: Phase; renewal: Phase }, unit: string) => {
    rows.push([`${name}: ${unit} per first acquisition`, round(result.first.operations / result.first.calls, 2)]);
    rows.push([`${name}: ${unit} per renewal`, round(result.renewal.operations / result.renewal.calls, 2)]);
  };

  const redis = await startRedis();
  try {
    const counter = redisCounter([redis.port]);
    const store = new RedisTokenStore({ connection: { host: '127.0.0.1', port: redis.port } });
    add('one Redis', await measure(store, counter), 'commands');
    await counter.close();
  } finally {
    await redis.stop();
  }

  const cluster = await startRedisCluster();
  try {
    const counter = redisCounter(cluster.nodes.map((node) => node.port));
    const store = new RedisTokenStore({ cluster: { nodes: cluster.nodes } });
    add('3-master cluster', await measure(store, counter), 'commands');
    await counter.close();
  } finally {
    await cluster.stop();
  }

  const postgres = await startPostgres();
  try {
    const store = new PostgresTokenStore({ connectionString: postgres.url() });
    let statements = 0;
    store.pool.on('acquire', () => (statements += 1)); // one checkout per statement (bench 6 checks it against the server)
    add(
      'PostgreSQL',
      await measure(store, { read: async () => statements, close: async () => undefined }),
      'statements',
    );
  } finally {
    await postgres.stop();
  }

  return {
    title: '8. Round trips to the store per token call',
    description:
      `One process, ${TENANTS} tenants with a Blink key and a Blnk grant each, on a store nobody used before: the ` +
      'operations of each tenant’s first token calls, then of one forced renewal each (tenants one after another, ' +
      'both providers together). Redis: total_commands_processed on every master, the readings’ own INFO left out ' +
      '(it counts the commands a Lua script runs too, so it is an upper bound on round trips; a script is one); ' +
      'PostgreSQL: the statements the store sent (one pooled checkout each; bench 6 shows the server’s count agrees). ' +
      'The store-loss check that runs every second is measured over 2 s of idle time and subtracted. Issue 29’s ' +
      'targets for Redis: at most 4 per renewal and 5 per first acquisition.',
    columns: ['measure', 'value'],
    rows,
    verdict: `Measured: ${rows.map((row) => `${String(row[0])} ${String(row[1])}`).join('; ')}`,
  };
}
