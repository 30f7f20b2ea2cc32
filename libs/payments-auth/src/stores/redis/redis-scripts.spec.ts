import Redis from 'ioredis';
import { type RedisServer, startRedis } from '../../../../../test/support/redis.server.js';
import {
  ACQUIRE_LEASE,
  CLAIM_GENERATION,
  COMPARE_AND_SET,
  EXTEND_LEASE,
  READ_GENERATION,
  RELEASE_LEASE,
  RESEAL_RECORD,
  SET_RECORD,
} from './redis-scripts.js';

/**
 * The store's Lua scripts on a real redis-server, called as they are, with EVAL, on keys of the test's own
 * choosing: what each one writes, refuses and leaves alone, independent of the store class that calls them.
 */
describe('Redis store scripts', () => {
  let server: RedisServer;
  let redis: Redis;

  const run = (script: string, keys: string[], ...args: Array<string | number>): Promise<unknown> =>
    redis.eval(script, keys.length, ...keys, ...args.map(String));
  const record = (key: string) => redis.hgetall(key);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  beforeEach(() => redis.flushall());

  // README § Several instances: Redis › Records (compare-and-set on the version, in Lua)
  describe('COMPARE_AND_SET (version, payload, ttl ms)', () => {
    it('writes a missing record, with its TTL', async () => {
      expect(await run(COMPARE_AND_SET, ['rec'], 1, 'payload-1', 60_000)).toBe(1);
      expect(await record('rec')).toEqual({ v: '1', d: 'payload-1' });
      expect(await redis.pttl('rec')).toBeGreaterThan(59_000);
    });

    it('a newer version replaces the record and renews its TTL; versions compare as numbers (10 > 9)', async () => {
      await run(COMPARE_AND_SET, ['rec'], 9, 'payload-9', 1_000);
      expect(await run(COMPARE_AND_SET, ['rec'], 10, 'payload-10', 60_000)).toBe(1);
      expect(await record('rec')).toEqual({ v: '10', d: 'payload-10' });
      expect(await redis.pttl('rec')).toBeGreaterThan(59_000);
    });

    it.each([
      ['an equal version', 5],
      ['an older version', 4],
    ])('%s is refused: record and TTL untouched', async (_name, version) => {
      await run(COMPARE_AND_SET, ['rec'], 5, 'payload-5', 30_000);
      expect(await run(COMPARE_AND_SET, ['rec'], version, 'stale', 90_000)).toBe(0);
      expect(await record('rec')).toEqual({ v: '5', d: 'payload-5' });
      expect(await redis.pttl('rec')).toBeLessThanOrEqual(30_000);
    });

    it('touches only the key it is given', async () => {
      await redis.set('other', 'x');
      await run(COMPARE_AND_SET, ['rec'], 1, 'payload-1', 60_000);
      expect(await redis.keys('*')).toEqual(expect.arrayContaining(['rec', 'other']));
      expect(await redis.dbsize()).toBe(2);
      expect(await redis.get('other')).toBe('x');
    });
  });

  describe('SET_RECORD (version, payload, ttl ms)', () => {
    it('replaces whatever is stored, an older version or other fields included, with a fresh TTL', async () => {
      await redis.hset('rec', { v: '7', d: 'payload-7', extra: 'left over' });
      expect(await run(SET_RECORD, ['rec'], 2, 'payload-2', 60_000)).toBe(1);
      expect(await record('rec')).toEqual({ v: '2', d: 'payload-2' });
      expect(await redis.pttl('rec')).toBeGreaterThan(59_000);
    });

    it('replaces a key of another type and writes a missing one', async () => {
      await redis.set('rec', 'a plain string');
      expect(await run(SET_RECORD, ['rec'], 1, 'payload-1', 60_000)).toBe(1);
      expect(await record('rec')).toEqual({ v: '1', d: 'payload-1' });
      expect(await run(SET_RECORD, ['new'], 1, 'payload-new', 60_000)).toBe(1);
      expect(await record('new')).toEqual({ v: '1', d: 'payload-new' });
    });
  });

  describe('RESEAL_RECORD (payload read, resealed payload)', () => {
    it('replaces the payload that is still the one read; version and TTL stay', async () => {
      await run(COMPARE_AND_SET, ['rec'], 3, 'sealed-old', 30_000);
      expect(await run(RESEAL_RECORD, ['rec'], 'sealed-old', 'sealed-new')).toBe(1);
      expect(await record('rec')).toEqual({ v: '3', d: 'sealed-new' });
      const ttl = await redis.pttl('rec');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });

    it('leaves a payload written meanwhile alone', async () => {
      await run(COMPARE_AND_SET, ['rec'], 4, 'written-meanwhile', 30_000);
      expect(await run(RESEAL_RECORD, ['rec'], 'sealed-old', 'sealed-new')).toBe(0);
      expect(await record('rec')).toEqual({ v: '4', d: 'written-meanwhile' });
    });

    it('does not bring back a record deleted meanwhile', async () => {
      expect(await run(RESEAL_RECORD, ['gone'], 'sealed-old', 'sealed-new')).toBe(0);
      expect(await redis.exists('gone')).toBe(0);
    });
  });

  // README § Several instances: Redis › Distributed single flight (extend only if still ours or re-take it; compare-and-delete)
  describe('leases (owner, ttl ms), over one or several lock names', () => {
    const locks = ['lock:current', 'lock:legacy'];

    it('ACQUIRE_LEASE takes every free name for its owner, with the TTL', async () => {
      expect(await run(ACQUIRE_LEASE, locks, 'owner-a', 60_000)).toBe(1);
      expect(await redis.mget(...locks)).toEqual(['owner-a', 'owner-a']);
      for (const lock of locks) expect(await redis.pttl(lock)).toBeGreaterThan(59_000);
    });

    it('ACQUIRE_LEASE takes none when any name is held, by anyone (its own owner too)', async () => {
      await redis.set('lock:legacy', 'owner-b', 'PX', 60_000);
      expect(await run(ACQUIRE_LEASE, locks, 'owner-a', 60_000)).toBe(0);
      expect(await redis.exists('lock:current')).toBe(0);
      expect(await redis.get('lock:legacy')).toBe('owner-b');
      await run(ACQUIRE_LEASE, ['lock:mine'], 'owner-a', 60_000);
      expect(await run(ACQUIRE_LEASE, ['lock:mine'], 'owner-a', 60_000)).toBe(0);
    });

    it('a lapsed lease can be taken by another owner', async () => {
      expect(await run(ACQUIRE_LEASE, locks, 'owner-a', 50)).toBe(1);
      await sleep(120);
      expect(await run(ACQUIRE_LEASE, locks, 'owner-b', 60_000)).toBe(1);
      expect(await redis.mget(...locks)).toEqual(['owner-b', 'owner-b']);
    });

    it("EXTEND_LEASE renews its owner's lease", async () => {
      await run(ACQUIRE_LEASE, locks, 'owner-a', 1_000);
      expect(await run(EXTEND_LEASE, locks, 'owner-a', 60_000)).toBe(1);
      expect(await redis.mget(...locks)).toEqual(['owner-a', 'owner-a']);
      for (const lock of locks) expect(await redis.pttl(lock)).toBeGreaterThan(59_000);
    });

    it("EXTEND_LEASE refuses another owner's lease and changes nothing, also when only one name is another's", async () => {
      await run(ACQUIRE_LEASE, locks, 'owner-b', 30_000);
      expect(await run(EXTEND_LEASE, locks, 'owner-a', 90_000)).toBe(0);
      expect(await redis.mget(...locks)).toEqual(['owner-b', 'owner-b']);
      expect(await redis.pttl('lock:current')).toBeLessThanOrEqual(30_000);

      await redis.flushall();
      await redis.set('lock:current', 'owner-a', 'PX', 30_000);
      await redis.set('lock:legacy', 'owner-b', 'PX', 30_000);
      expect(await run(EXTEND_LEASE, locks, 'owner-a', 90_000)).toBe(0);
      expect(await redis.pttl('lock:current')).toBeLessThanOrEqual(30_000); // not extended: all or nothing
      expect(await redis.get('lock:legacy')).toBe('owner-b');
    });

    it('EXTEND_LEASE re-takes a lease that vanished (Redis restarted empty), wholly or in part', async () => {
      expect(await run(EXTEND_LEASE, locks, 'owner-a', 60_000)).toBe(1);
      expect(await redis.mget(...locks)).toEqual(['owner-a', 'owner-a']);
      await redis.del('lock:legacy');
      expect(await run(EXTEND_LEASE, locks, 'owner-a', 60_000)).toBe(1);
      expect(await redis.mget(...locks)).toEqual(['owner-a', 'owner-a']);
      expect(await redis.pttl('lock:legacy')).toBeGreaterThan(59_000);
    });

    it('RELEASE_LEASE deletes only the names its owner still holds', async () => {
      await run(ACQUIRE_LEASE, locks, 'owner-a', 60_000);
      expect(await run(RELEASE_LEASE, locks, 'owner-b')).toBe(0);
      expect(await redis.mget(...locks)).toEqual(['owner-a', 'owner-a']);

      await redis.set('lock:legacy', 'owner-b', 'PX', 60_000); // lapsed and taken by another meanwhile
      expect(await run(RELEASE_LEASE, locks, 'owner-a')).toBe(0);
      expect(await redis.mget(...locks)).toEqual([null, 'owner-b']);
      expect(await run(RELEASE_LEASE, locks, 'owner-b')).toBe(0);
      expect(await redis.exists(...locks)).toBe(0);
    });
  });

  // README § Several instances: Redis › When Redis comes back empty, restarts or fails over (a marker bound to the run_id)
  describe('generation marker', () => {
    let runId: string;

    beforeAll(async () => {
      runId = /run_id:([0-9a-f]+)/.exec(await redis.info('server'))?.[1] as string;
      expect(runId).toMatch(/^[0-9a-f]{40}$/);
    });

    it("READ_GENERATION returns the server's run_id, and the marker when there is one", async () => {
      expect(await run(READ_GENERATION, ['gen'])).toEqual([runId]);
      await redis.set('gen', '{"id":"g1"}');
      expect(await run(READ_GENERATION, ['gen'])).toEqual([runId, '{"id":"g1"}']);
    });

    it('CLAIM_GENERATION writes a marker where there is none, with this server run', async () => {
      const claimed = (await run(CLAIM_GENERATION, ['gen'], 'g1', 1_700_000_000_000)) as string;
      expect(JSON.parse(claimed)).toEqual({ id: 'g1', createdAt: 1_700_000_000_000, runId });
      expect(await redis.get('gen')).toBe(claimed);
    });

    it('CLAIM_GENERATION keeps a marker written under this server run: the one stored wins', async () => {
      const first = (await run(CLAIM_GENERATION, ['gen'], 'g1', 1)) as string;
      expect(await run(CLAIM_GENERATION, ['gen'], 'g2', 2)).toBe(first);
      expect(await redis.get('gen')).toBe(first);
    });

    it.each([
      [
        'written under an earlier server run (a restart, a promoted replica)',
        JSON.stringify({ id: 'old', createdAt: 1, runId: 'f'.repeat(40) }),
      ],
      ['without a run id', JSON.stringify({ id: 'old', createdAt: 1 })],
      ['not JSON', 'not json {'],
      ['JSON but not an object', '42'],
    ])('CLAIM_GENERATION replaces a marker %s', async (_name, stored) => {
      await redis.set('gen', stored);
      const claimed = (await run(CLAIM_GENERATION, ['gen'], 'g2', 2)) as string;
      expect(JSON.parse(claimed)).toEqual({ id: 'g2', createdAt: 2, runId });
      expect(await redis.get('gen')).toBe(claimed);
    });

    describe('for a user that may not run INFO (ACLs)', () => {
      let limited: Redis;

      beforeAll(async () => {
        await redis.call('ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '+@all', '-info');
        // No ready check: it runs INFO, which this user may not.
        limited = new Redis({
          host: '127.0.0.1',
          port: server.port,
          username: 'limited',
          password: 'limited-pw',
          maxRetriesPerRequest: 1,
          enableReadyCheck: false,
        });
        await expect(limited.info('server')).rejects.toThrow(/NOPERM|permission/i);
      });

      afterAll(async () => {
        limited.disconnect();
        await redis.call('ACL', 'DELUSER', 'limited');
      });

      const runLimited = (script: string, keys: string[], ...args: Array<string | number>) =>
        limited.eval(script, keys.length, ...keys, ...args.map(String));

      it("READ_GENERATION answers '' for the run_id", async () => {
        expect(await runLimited(READ_GENERATION, ['gen'])).toEqual(['']);
      });

      it('CLAIM_GENERATION keeps any valid marker (only an emptied store is detected), and writes one with an empty run id', async () => {
        const stored = JSON.stringify({ id: 'old', createdAt: 1, runId: 'f'.repeat(40) });
        await redis.set('gen', stored);
        expect(await runLimited(CLAIM_GENERATION, ['gen'], 'g2', 2)).toBe(stored);
        await redis.del('gen');
        expect(JSON.parse((await runLimited(CLAIM_GENERATION, ['gen'], 'g3', 3)) as string)).toEqual({
          id: 'g3',
          createdAt: 3,
          runId: '',
        });
      });
    });
  });
});
