import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type PostgresServer, startPostgres } from '../../../../test/support/postgres.server.js';
import { type RedisServer, startRedis } from '../../../../test/support/redis.server.js';
import { SharedMemoryStore } from '../engine/testing/shared-memory-store.js';
import { FileTokenStore } from '../stores/file.store.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import { PostgresTokenStore } from '../stores/postgres/postgres.store.js';
import { RedisTokenStore, type RedisTokenStoreOptions } from '../stores/redis/redis.store.js';
import type { TokenStore } from '../stores/token-store.interface.js';
import { tokenStoreConformance } from './store-conformance.js';

/*
 * The built-in stores against the conformance suite a custom store is tested with: if one of them failed a check,
 * either the store or the check would be wrong. store-conformance-bites.spec.ts shows that each check fails a
 * store broken in the way it is about.
 */

// README § Stores: choosing one › Your own store (the checks the built-in stores pass)
// README § Testing your app › tokenStoreConformance({ create, capabilities })
describe('MemoryTokenStore conformance', () => {
  for (const check of tokenStoreConformance({
    create: () => new MemoryTokenStore(),
    capabilities: ['keys', 'describe'],
  }))
    it(check.name, check.run);
});

describe('SharedMemoryStore (the engine specs’ several-process double) conformance', () => {
  for (const check of tokenStoreConformance({
    create: () => new SharedMemoryStore(),
    capabilities: ['leases', 'keys', 'describe'],
  }))
    it(check.name, check.run);
});

describe('FileTokenStore conformance (two instances on one directory, encrypted)', () => {
  const directories = new Map<TokenStore, string>();
  const key = randomBytes(32);
  const open = (directory: string): FileTokenStore => {
    const store = new FileTokenStore({ directory, encryption: { keys: [key] } });
    directories.set(store, directory);
    return store;
  };
  const checks = tokenStoreConformance({
    create: async () => open(await fs.mkdtemp(path.join(os.tmpdir(), 'store-conformance-'))),
    twin: (store) => open(directories.get(store) as string),
    cleanup: (store) => fs.rm(directories.get(store) as string, { recursive: true, force: true }),
    capabilities: ['leases', 'durability', 'keys', 'reseal', 'audit', 'describe'],
  });
  for (const check of checks) it(check.name, check.run);
});

describe('RedisTokenStore conformance (two instances on one prefix, encrypted, on a real redis-server)', () => {
  let redis: RedisServer;
  const settings = new Map<TokenStore, RedisTokenStoreOptions>();
  const key = randomBytes(32);

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  const open = (options: RedisTokenStoreOptions): RedisTokenStore => {
    const store = new RedisTokenStore(options);
    settings.set(store, options);
    return store;
  };
  const checks = tokenStoreConformance({
    // A prefix of its own per check: a new store as far as records, leases and the generation marker go.
    create: () =>
      open({
        connection: { host: '127.0.0.1', port: redis.port },
        prefix: `conformance-${randomUUID()}`,
        encryption: { keys: [key] },
      }),
    twin: (store) => open(settings.get(store) as RedisTokenStoreOptions),
    capabilities: ['leases', 'generations', 'durability', 'keys', 'reseal', 'audit', 'describe'],
  });
  for (const check of checks) it(check.name, check.run);
});

// README § Several instances: PostgreSQL › One statement per operation
describe('PostgresTokenStore conformance (two instances on one table, encrypted, on a real PostgreSQL, as a non-superuser)', () => {
  let postgres: PostgresServer;
  const tables = new Map<TokenStore, string>();
  const key = randomBytes(32);

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await postgres.stop();
  });

  const open = (table: string): PostgresTokenStore => {
    const store = new PostgresTokenStore({ connectionString: postgres.url() }, { table, encryption: { keys: [key] } });
    tables.set(store, table);
    return store;
  };
  const checks = tokenStoreConformance({
    // Tables of their own per check (created on first use): a new store as far as records, leases and the marker go.
    create: () => open(`conformance_${randomUUID().replaceAll('-', '_').slice(0, 20)}`),
    twin: (store) => open(tables.get(store) as string),
    capabilities: ['leases', 'generations', 'durability', 'keys', 'reseal', 'audit', 'describe'],
  });
  for (const check of checks) it(check.name, check.run);
});
