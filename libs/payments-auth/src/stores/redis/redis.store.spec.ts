import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { type RedisServer, startRedis } from '../../../../../test/support/redis.server.js';
import type { StoredToken } from '../token-store.interface.js';
import { RedisTokenStore, type RedisTokenStoreOptions } from './redis.store.js';

const ISSUED_AT = Date.now();
const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: ISSUED_AT + 600_000,
  issuedAt: ISSUED_AT,
  version,
});

// README § Several instances: Redis
describe('RedisTokenStore: keys, plaintext records, describe', () => {
  let redis: RedisServer;
  let raw: Redis;
  const stores: RedisTokenStore[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis({ port: redis.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    raw.disconnect();
    await redis.stop();
  });

  beforeEach(() => raw.flushall());

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  const open = (options: Partial<RedisTokenStoreOptions> = {}): RedisTokenStore => {
    const store = new RedisTokenStore({ connection: { port: redis.port, host: '127.0.0.1' }, ...options });
    stores.push(store);
    return store;
  };

  it("keys(prefix) lists one tenant's records only, over several SCAN steps, without leases or the generation marker", async () => {
    const store = open({ encryption: { keys: [randomBytes(32)] } });
    const keys = [
      'blnk:a:fp1',
      'blnk:a:authorization',
      'blnk:a.b:fp',
      'blnk:ab:fp',
      'blink:a:fp',
      'blnk:a[b]:fp',
      'blnk:a*:fp',
      'blnk:a?:fp',
    ];
    for (const key of keys) await store.set(key, record(1));
    // 1 200 records (several SCAN steps), 100 at a time: all at once, the last ones' 1 s deadlines can run out
    // on a busy machine before the first ones are answered.
    for (let batch = 0; batch < 12; batch += 1)
      await Promise.all(
        Array.from({ length: 100 }, (_, index) => store.set(`blnk:bulk:${batch * 100 + index}`, record(1))),
      );
    await open({ prefix: 'other' }).set('blnk:a:elsewhere', record(1));
    expect(await store.leases.acquire('blnk:a:fp1', 5_000)).toEqual(expect.any(String)); // current and 0.x lease names (both still end or start in 'lock')
    await store.generations.claim({ id: 'g', createdAt: 1 });
    expect(
      await raw.exists('payments-auth:lock:blnk:a:fp1', '{payments-auth:blnk:a:fp1}:lock', 'payments-auth:generation'),
    ).toBe(3);

    expect((await store.keys('blnk:a:')).sort()).toEqual(['blnk:a:authorization', 'blnk:a:fp1']);
    // Glob characters in a prefix match only themselves: unescaped, `a[b]` would match `ab`, and `a*` everything.
    expect(await store.keys('blnk:a[b]:')).toEqual(['blnk:a[b]:fp']);
    expect(await store.keys('blnk:a*:')).toEqual(['blnk:a*:fp']);
    expect(await store.keys('blnk:a?:')).toEqual(['blnk:a?:fp']);
    expect(await store.keys('blnk:nobody:')).toEqual([]);
    expect(await store.keys('blnk:bulk:')).toHaveLength(1_200);
    const all = await store.keys('');
    expect(all).toHaveLength(keys.length + 1_200);
    expect(all.filter((key) => !key.startsWith('blnk:bulk:')).sort()).toEqual([...keys].sort());
  });

  it('reads a plaintext record under configured keys, version-checked, and seals it on the next write', async () => {
    await open().set('blnk:acme:fp', record(4));
    const keyed = open({ encryption: { keys: [randomBytes(32)] } });
    expect(await keyed.get('blnk:acme:fp')).toEqual(record(4));
    await raw.hset('payments-auth:blnk:acme:fp', 'v', '9');
    await expect(keyed.get('blnk:acme:fp')).rejects.toMatchObject({ code: 'ETOKENCIPHER' });
    await raw.hset('payments-auth:blnk:acme:fp', 'v', '4');
    expect(await keyed.compareAndSet('blnk:acme:fp', record(5))).toBe(true);
    expect(await raw.hget('payments-auth:blnk:acme:fp', 'd')).toMatch(/^pa1\./);
    expect(await keyed.get('blnk:acme:fp')).toEqual(record(5));
  });

  it('refuses a sealed record when no keys are configured, instead of passing it for absent', async () => {
    await open({ encryption: { keys: [randomBytes(32)] } }).set('blnk:acme:fp', record(1));
    await expect(open().get('blnk:acme:fp')).rejects.toMatchObject({
      code: 'ETOKENCIPHER',
      message: expect.stringContaining('configure the keys'),
    });
  });

  it('acquireAndRead on a record it cannot open takes the lease, and fails as get would when the record is read', async () => {
    await open({ encryption: { keys: [randomBytes(32)] } }).set('blnk:acme:fp', record(1));
    const store = open();
    const taken = await store.acquireAndRead('blnk:acme:fp', 5_000);
    expect(taken?.owner).toEqual(expect.any(String));
    expect(() => taken?.record).toThrow(expect.objectContaining({ code: 'ETOKENCIPHER' }));
    expect(await store.acquireAndRead('blnk:acme:fp', 5_000)).toBeUndefined(); // held until its holder frees it
    await store.leases.release('blnk:acme:fp', taken?.owner as string);
    expect(await store.acquireAndRead('blnk:other:fp', 5_000)).toMatchObject({ record: undefined });
  });

  it('describes its prefix and server, never a password', () => {
    const store = open({
      prefix: 'tokens',
      connection: { port: redis.port, host: '127.0.0.1', password: 'hunter2-secret', lazyConnect: true },
    });
    expect(store.describe()).toEqual({
      type: 'RedisTokenStore',
      location: `redis prefix "tokens" on Redis 127.0.0.1:${redis.port}`,
      atRest: true,
      encrypted: false,
    });
    expect(open({ encryption: { keys: [randomBytes(32)] } }).describe().encrypted).toBe(true);
  });

  it('refuses an ioredis keyPrefix, which SCAN ignores: listing, audit and reseal would find nothing', () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1', keyPrefix: 'app:', lazyConnect: true });
    try {
      expect(() => new RedisTokenStore({ connection: { port: redis.port, keyPrefix: 'app:' } })).toThrow(
        /store\.connection\.keyPrefix: .*use the store's prefix option/,
      );
      expect(() => new RedisTokenStore({ client })).toThrow(/store\.client\.options\.keyPrefix/);
    } finally {
      client.disconnect();
    }
  });
});
