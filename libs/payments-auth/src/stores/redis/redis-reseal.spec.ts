import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { type RedisServer, startRedis } from '../../../../../test/support/redis.server.js';
import { PaymentsAuthConfigError } from '../../errors/config.error.js';
import { TokenCipher } from '../token-cipher.js';
import type { StoredToken } from '../token-store.interface.js';
import { RedisKeys } from './redis-keys.js';
import { RedisRecordWalk } from './redis-record-walk.js';
import { RedisTokenStore, type RedisTokenStoreOptions } from './redis.store.js';

const ISSUED_AT = Date.now();
const record = (version: number): StoredToken => ({
  accessToken: `access-${version}`,
  refreshToken: `refresh-${version}`,
  expiresAt: ISSUED_AT + 600_000,
  issuedAt: ISSUED_AT,
  version,
});

const [K0, K1, K2] = [randomBytes(32), randomBytes(32), randomBytes(32)];

// README § Several instances: Redis › Encryption at rest (retiring a key)
describe('RedisTokenStore reseal() and audit()', () => {
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

  const open = (keys?: Buffer[], options: Partial<RedisTokenStoreOptions> = {}): RedisTokenStore => {
    const store = new RedisTokenStore({
      connection: { port: redis.port, host: '127.0.0.1' },
      encryption: keys && { keys },
      ...options,
    });
    stores.push(store);
    return store;
  };

  it('reseals K1-sealed and plaintext records, pending authorizations included, so a store with only K2 reads them all', async () => {
    await open([K1]).set('blnk:acme:fp', record(3));
    await open([K1]).set('blnk:acme:authorization', record(7));
    await open().set('blnk:globex:fp', record(5));
    const ttlBefore = await raw.pttl('payments-auth:blnk:acme:fp');
    const rotated = open([K2, K1]);
    expect(await rotated.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 2,
      plaintext: 1,
      unreadable: 0,
    });
    await expect(open([K2]).get('blnk:acme:fp')).rejects.toMatchObject({ code: 'ETOKENCIPHER' }); // why it is needed

    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 3, alreadyCurrent: 0, plaintext: 1, unreadable: 0 });

    const retired = open([K2]);
    expect(await retired.get('blnk:acme:fp')).toEqual(record(3));
    expect(await retired.get('blnk:acme:authorization')).toEqual(record(7));
    expect(await retired.get('blnk:globex:fp')).toEqual(record(5));
    expect(await raw.hget('payments-auth:blnk:globex:fp', 'd')).not.toContain('access-5');
    expect(await raw.hget('payments-auth:blnk:acme:fp', 'v')).toBe('3');
    // The record keeps its TTL (a refresh token's retention), give or take the test's own time.
    expect(ttlBefore - (await raw.pttl('payments-auth:blnk:acme:fp'))).toBeLessThan(5_000);
    expect(await retired.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 3,
      sealedWithOlderKey: 0,
      plaintext: 0,
      unreadable: 0,
    });
    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 0, alreadyCurrent: 3, plaintext: 0, unreadable: 0 });
  });

  it('counts records it cannot read and leaves them exactly as they are', async () => {
    await open([K0]).set('blnk:old:fp', record(1));
    await open([K1]).set('blnk:acme:fp', record(2));
    await raw.set('payments-auth:blnk:junk:fp', 'not a hash');
    const before = await raw.hgetall('payments-auth:blnk:old:fp');
    const rotated = open([K2, K1]);
    expect(await rotated.audit()).toEqual({
      records: 3,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 1,
      plaintext: 0,
      unreadable: 2,
    });
    expect(await rotated.reseal()).toEqual({ records: 3, resealed: 1, alreadyCurrent: 0, plaintext: 0, unreadable: 2 });
    expect(await raw.hgetall('payments-auth:blnk:old:fp')).toEqual(before);
    expect(await raw.get('payments-auth:blnk:junk:fp')).toBe('not a hash');
    expect(await open([K0]).get('blnk:old:fp')).toEqual(record(1));
  });

  it('audits without keys: sealed records are unreadable, plaintext ones counted; reseal() says keys are needed', async () => {
    await open([K1]).set('blnk:acme:fp', record(1));
    await open().set('blnk:globex:fp', record(1));
    expect(await open().audit()).toEqual({
      records: 2,
      sealedWithNewestKey: 0,
      sealedWithOlderKey: 0,
      plaintext: 1,
      unreadable: 1,
    });
    await expect(open().reseal()).rejects.toThrow(PaymentsAuthConfigError);
    await expect(open().reseal()).rejects.toThrow(/store\.encryption: reseal\(\) needs encryption keys/);
  });

  it('never overwrites a write that lands between its read and its write: the newer version wins', async () => {
    const keys = ['blnk:t1:fp', 'blnk:t2:fp', 'blnk:t3:fp'];
    for (const key of keys) await open([K1]).set(key, record(1));
    // Another instance, still on [K1] alone (a rolling deployment), writes each record at the worst moment.
    const oldInstance = open([K1]);
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    const names = new RedisKeys('payments-auth', true);
    let raced = 0;
    const walk = new RedisRecordWalk({
      redis: client,
      servers: async () => [client],
      names,
      cipher: new TokenCipher({ keys: [K2, K1] }),
      command: (run) => run(),
      write: async (script, args) => {
        const key = keys.find((candidate) => names.record(candidate) === args[0]) as string;
        if ((await oldInstance.get(key))?.version === 1) {
          raced += 1;
          expect(await oldInstance.compareAndSet(key, record(2))).toBe(true);
        }
        return (await client.eval(script, 1, ...args)) === 1;
      },
    });
    try {
      expect(await walk.reseal()).toEqual({ records: 3, resealed: 3, alreadyCurrent: 0, plaintext: 0, unreadable: 0 });
    } finally {
      client.disconnect();
    }
    expect(raced).toBe(3);
    // The newer records were resealed in turn, not replaced by the version-1 ones read first.
    for (const key of keys) expect(await open([K2]).get(key)).toMatchObject({ version: 2, accessToken: 'access-2' });
  });

  it('leaves writes racing a whole reseal in place, from instances on either key list', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => `blnk:t${index}:fp`);
    await Promise.all(keys.map((key) => open([K1]).set(key, record(1))));
    const [current, old] = [open([K2, K1]), open([K1])];
    await Promise.all([current.get('warm-up'), old.get('warm-up')]); // connected before 40 callers queue on them
    const [report] = await Promise.all([
      open([K2, K1]).reseal(),
      ...keys.map(async (key, index) => {
        for (let version = 2; version <= 4; version += 1)
          await (index % 2 ? current : old).compareAndSet(key, record(version));
      }),
    ]);
    expect(report.records).toBe(40);
    for (const key of keys) expect((await open([K2, K1]).get(key))?.version).toBe(4);
  });
});
