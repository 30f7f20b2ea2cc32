import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { StoredToken } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant, sleep } from './support/payments-auth.fixture';
import { RedisServer, startRedis } from './support/redis.server';
import { runLoadWorkers, startWorker } from './support/redis-workers';

/** Rotating refreshes wait max(4 s, tokenCallTimeoutMs + 1 s) after a store loss or on a new store: keep it 4 s. */
const FAST_RECOVERY_TIMEOUT_MS = 3_000;

const record = (version: number, accessToken = `access-${version}`): StoredToken => ({
  accessToken,
  refreshToken: `refresh-${version}`,
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  version,
});

// README § Several instances: Redis
describe('several instances on Redis', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let raw: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await raw.connect();
  });

  afterAll(async () => {
    raw.disconnect();
    await redis.stop();
  });

  beforeEach(async () => {
    await raw.flushall();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 3 }, blnk: { tokenLifetimeSeconds: 3 } });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const redisStore = (options: Partial<ConstructorParameters<typeof RedisTokenStore>[0]> = {}) =>
    new RedisTokenStore({ connection: { port: redis.port, host: '127.0.0.1' }, ...options });

  describe('RedisTokenStore', () => {
    let store: RedisTokenStore;

    afterEach(async () => {
      await store.close();
    });

    // README § Several instances: Redis › Records
    it('namespaces keys, ties the TTL to expiry and keeps refresh tokens beyond it', async () => {
      store = redisStore({ prefix: 'payments-auth', refreshTokenRetentionMs: 3_600_000 });
      const blnkRecord = record(1);
      await store.set('blnk:acme:abc', blnkRecord);
      await store.set('blink:acme:def', { ...record(1), refreshToken: undefined });
      expect((await raw.keys('*')).sort()).toEqual(['payments-auth:blink:acme:def', 'payments-auth:blnk:acme:abc']);
      expect(await raw.pttl('payments-auth:blink:acme:def')).toBeGreaterThan(0);
      expect(await raw.pttl('payments-auth:blink:acme:def')).toBeLessThanOrEqual(60_000);
      expect(await raw.pttl('payments-auth:blnk:acme:abc')).toBeGreaterThan(3_600_000);
      expect(await store.get('blnk:acme:abc')).toEqual(blnkRecord);
    });

    it('compare-and-set never lets a stale writer overwrite a newer token', async () => {
      store = redisStore();
      expect(await store.compareAndSet('k', record(2))).toBe(true);
      expect(await store.compareAndSet('k', record(1))).toBe(false);
      expect(await store.compareAndSet('k', record(2, 'other'))).toBe(false);
      expect((await store.get('k'))?.accessToken).toBe('access-2');
      expect(await store.compareAndSet('k', record(3))).toBe(true);
    });

    it('leases with an owner and releases only its own lease', async () => {
      store = redisStore();
      const owner = await store.leases.acquire('k', 5_000);
      expect(owner).toEqual(expect.any(String));
      expect(await store.leases.acquire('k', 5_000)).toBeUndefined();
      await store.leases.release('k', 'not-the-owner');
      expect(await store.leases.acquire('k', 5_000)).toBeUndefined();
      await store.leases.release('k', owner as string);
      expect(await store.leases.acquire('k', 100)).toEqual(expect.any(String));
      await sleep(150);
      expect(await store.leases.acquire('k', 100)).toEqual(expect.any(String)); // the TTL freed it
    });

    it('leases: extended only by their owner, re-taken by it when Redis lost them, free after the TTL', async () => {
      store = redisStore();
      const owner = (await store.leases.acquire('k', 300)) as string;
      expect(await store.leases.extend('k', 'someone-else', 300)).toBe(false);
      expect(await store.leases.extend('k', owner, 300)).toBe(true);
      // One lease under two names: its own, in the record's hash slot, and the 0.x name (a rolling upgrade).
      expect((await raw.keys('*lock*')).sort()).toEqual(['payments-auth:lock:k', '{payments-auth:k}:lock']);
      await raw.del('payments-auth:lock:k', '{payments-auth:k}:lock'); // Redis restarted empty mid-call
      expect(await store.leases.extend('k', owner, 300)).toBe(true);
      expect(await store.leases.acquire('k', 300)).toBeUndefined();
      await sleep(400);
      const successor = await store.leases.acquire('k', 300);
      expect(successor).toEqual(expect.any(String));
      expect(await store.leases.extend('k', owner, 300)).toBe(false);
    });

    it('a 0.x instance holding the lease under its old name keeps a 1.x instance out, and sees a 1.x lease (rolling upgrade)', async () => {
      store = redisStore();
      await raw.set('payments-auth:lock:blnk:acme:abc', 'a-0.x-owner', 'PX', 5_000);
      expect(await store.leases.acquire('blnk:acme:abc', 5_000)).toBeUndefined();
      await raw.del('payments-auth:lock:blnk:acme:abc');
      const owner = await store.leases.acquire('blnk:acme:abc', 5_000);
      expect(owner).toEqual(expect.any(String));
      expect(await raw.get('payments-auth:lock:blnk:acme:abc')).toBe(owner);
      expect(await raw.set('payments-auth:lock:blnk:acme:abc', 'a-0.x-owner', 'PX', 5_000, 'NX')).toBeNull();
      await store.leases.release('blnk:acme:abc', owner as string);
      expect(await raw.keys('*lock*')).toEqual([]);
    });

    // README § Running at scale › Sentinel failover (waitForReplicas waits 500 ms by default)
    it('waitForReplicas waits 500 ms for a replica by default, then refuses the refresh-token write', async () => {
      store = redisStore({ waitForReplicas: { replicas: 1 } });
      const started = Date.now();
      await expect(store.compareAndSet('blnk:acme:abc', record(1))).rejects.toMatchObject({
        code: 'EREPLICAS',
        message: expect.stringContaining('within 500 ms'), // the WAIT sent asked for 500 ms, not the 1 000 ms maximum
      });
      // WAIT really waited: a lower bound only, which a busy machine can only make longer (5 ms: timer rounding).
      expect(Date.now() - started).toBeGreaterThanOrEqual(495);
    });

    it('waitForReplicas without a replica: a refresh-token write fails until replicas have it; other records are not held up', async () => {
      store = redisStore({ waitForReplicas: { replicas: 1, timeoutMs: 50 } });
      await expect(store.compareAndSet('blnk:acme:abc', record(1))).rejects.toMatchObject({
        code: 'EREPLICAS',
        message: expect.stringContaining('0 of 1 replicas'),
      });
      expect((await store.get('blnk:acme:abc'))?.version).toBe(1); // on the primary only
      // The engine's retry of the same record still fails: it is still on the primary only.
      await expect(store.compareAndSet('blnk:acme:abc', record(1))).rejects.toMatchObject({ code: 'EREPLICAS' });
      await expect(store.compareAndSet('blink:acme:def', { ...record(1), refreshToken: undefined })).resolves.toBe(
        true,
      );
      expect(JSON.stringify(store)).toContain('"waitForReplicas":1');
    });

    // README § Running at scale › Sentinel failover (WAIT on a connection of its own)
    it("a write waiting for replicas holds up none of the store's other commands (WAIT has a connection of its own)", async () => {
      store = redisStore({ waitForReplicas: { replicas: 1, timeoutMs: 1_000 } });
      await store.get('blink:acme:warm-up');
      const settled: string[] = [];
      const waiting = store.compareAndSet('blnk:acme:abc', record(1)).catch(() => undefined);
      void waiting.then(() => settled.push('write waiting for replicas'));
      await sleep(50); // the write and its WAIT are at the server
      await store.get('blink:acme:other');
      settled.push('read');
      await store.leases.acquire('blink:acme:other', 1_000);
      settled.push('lease');
      await waiting;
      expect(settled).toEqual(['read', 'lease', 'write waiting for replicas']);
    });

    it('refuses bad options, naming each field', () => {
      const build = (options: ConstructorParameters<typeof RedisTokenStore>[0]) => () =>
        new RedisTokenStore({ ...options, connection: { lazyConnect: true, ...options.connection } });
      expect(build({ prefix: 'app{1}', waitForReplicas: { replicas: 0, timeoutMs: -1 } })).toThrow(
        expect.objectContaining({
          issues: [
            expect.objectContaining({ path: 'store.prefix' }),
            expect.objectContaining({ path: 'store.waitForReplicas.replicas' }),
            expect.objectContaining({ path: 'store.waitForReplicas.timeoutMs' }),
          ],
        }),
      );
      // README § Running at scale › Sentinel failover (waitForReplicas.timeoutMs: at most 1 000 ms)
      expect(build({ waitForReplicas: { replicas: 1, timeoutMs: 1_001 } })).toThrow(
        expect.objectContaining({ issues: [expect.objectContaining({ path: 'store.waitForReplicas.timeoutMs' })] }),
      );
      expect(build({ waitForReplicas: { replicas: 1, timeoutMs: 1_000 } })).not.toThrow();
      expect(build({ cluster: { nodes: [] } })).toThrow(
        expect.objectContaining({
          issues: [
            expect.objectContaining({ path: 'store' }),
            expect.objectContaining({ path: 'store.cluster.nodes' }),
          ],
        }),
      );
      store = redisStore();
    });

    it('generation marker: absent on an empty Redis, claimed once, gone with the data', async () => {
      store = redisStore();
      expect(await store.generations.read()).toBeUndefined();
      const first = await store.generations.claim({ id: 'first', createdAt: 1 });
      expect(first).toEqual({ id: 'first', createdAt: 1 });
      expect(await store.generations.claim({ id: 'second', createdAt: 2 })).toEqual(first);
      await raw.flushall();
      expect(await store.generations.read()).toBeUndefined();
    });

    it('reports a Redis without persistence', async () => {
      store = redisStore();
      expect(await store.durability()).toEqual({ survivesRestart: false, detail: expect.stringContaining('no AOF') });
    });

    // README § Blnk rotation: what is guaranteed › The version is authenticated
    it('refuses a record whose version was tampered with, encrypted or not', async () => {
      for (const encryption of [undefined, { keys: [randomBytes(32).toString('base64')] }]) {
        store = redisStore({ encryption });
        await store.set('blnk:acme:abc', record(4));
        await raw.hset('payments-auth:blnk:acme:abc', 'v', '999');
        await expect(store.get('blnk:acme:abc')).rejects.toMatchObject({ code: 'ETOKENCIPHER' });
        await store.close();
      }
      store = redisStore();
    });

    // README § Several instances: Redis › Encryption at rest
    it('stores values unreadable without the key; a rotated key list still reads old values', async () => {
      const oldKey = randomBytes(32).toString('base64');
      const newKey = randomBytes(32).toString('base64');
      store = redisStore({ encryption: { keys: [oldKey] } });
      await store.set('blnk:acme:abc', record(1, 'blnk_at_secretvalue'));
      const stored = JSON.stringify(await raw.hgetall('payments-auth:blnk:acme:abc'));
      expect(stored).not.toContain('blnk_at_secretvalue');
      expect(stored).not.toContain('refresh-1');
      await store.close();

      store = redisStore();
      await expect(store.get('blnk:acme:abc')).rejects.toThrow();
      await store.close();
      store = redisStore({ encryption: { keys: [newKey] } });
      await expect(store.get('blnk:acme:abc')).rejects.toMatchObject({ code: 'ETOKENCIPHER' });
      await store.close();
      store = redisStore({ encryption: { keys: [newKey, oldKey] } });
      expect((await store.get('blnk:acme:abc'))?.accessToken).toBe('blnk_at_secretvalue');
      // A record moved under another tenant's key does not decrypt (the key is authenticated data).
      await raw.copy('payments-auth:blnk:acme:abc', 'payments-auth:blnk:evil:abc');
      await expect(store.get('blnk:evil:abc')).rejects.toMatchObject({ code: 'ETOKENCIPHER' });
    });
  });

  // README § Several instances: Redis › Distributed single flight
  it('two instances: concurrent cold callers on both cause one token call per provider', async () => {
    // Long-lived tokens: on a never-used Redis the first Blnk refresh waits out the recovery window (4 s), in
    // which 3 s Blink tokens would be renewed.
    await sandbox.close();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 60 } });
    const apps = await Promise.all(
      [0, 1].map(() =>
        PaymentsAuthFixture.startOn(sandbox, (s) => ({
          tenants: { acme: acmeTenant(s) },
          store: redisStore(),
          tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS,
        })),
      ),
    );
    try {
      const tokens = await Promise.all(
        apps.flatMap((app) =>
          Array.from({ length: 100 }, () => [app.blink.getToken('acme'), app.blnk.getToken('acme')]).flat(),
        ),
      );
      expect(new Set(tokens).size).toBe(2);
      expect(sandbox.blink.counters.tokenCalls).toBe(1);
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('Redis restarted mid-run: 0 failed requests while tokens are valid, and recovery is automatic', async () => {
    await sandbox.close();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 30 }, blnk: { tokenLifetimeSeconds: 30 } });
    const apps = await Promise.all(
      [0, 1].map(() =>
        PaymentsAuthFixture.startOn(sandbox, (s) => ({
          tenants: { acme: acmeTenant(s) },
          store: redisStore(),
          tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS,
        })),
      ),
    );
    try {
      await Promise.all(apps.map((app) => Promise.all([app.blink.getToken('acme'), app.blnk.getToken('acme')])));
      let failures = 0;
      let requests = 0;
      const load = (async () => {
        for (let round = 0; round < 60; round += 1) {
          const results = await Promise.allSettled(
            apps.flatMap((app) => [app.blink.getToken('acme'), app.blnk.getToken('acme')]),
          );
          requests += results.length;
          failures += results.filter((result) => result.status === 'rejected').length;
          await sleep(25);
        }
      })();
      await redis.restart(300);
      await load;
      expect(requests).toBe(240);
      expect(failures).toBe(0);
      // Back up (and empty): a forced renewal works again, with the newest refresh token from memory.
      await sleep(500);
      await expect(apps[0].blnk.forceRenewal('acme')).resolves.toEqual(expect.any(String));
      await expect(apps[1].blnk.forceRenewal('acme')).resolves.toEqual(expect.any(String));
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  // README § Several instances: Redis › When Redis comes back empty, restarts or fails over
  // README § Faults: what is survivable › Redis restarted empty (in process: instances holding different versions, a fresh one joining)
  it('Redis emptied behind two instances holding different versions: the newest is put back and used, 0 invalid_grant', async () => {
    await sandbox.close();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 60 } });
    const apps = await Promise.all(
      [0, 1].map(() =>
        PaymentsAuthFixture.startOn(sandbox, (s) => ({
          tenants: { acme: acmeTenant(s) },
          store: redisStore(),
          tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS,
        })),
      ),
    );
    try {
      await Promise.all(apps.map((app) => app.blnk.getToken('acme'))); // both hold version 1
      await apps[0].blnk.forceRenewal('acme'); // the first holds version 2 now; the second still 1
      await raw.flushall();
      // The second renews: it must wait for the first to put version 2 back rather than spend version 1's token.
      await expect(apps[1].blnk.forceRenewal('acme')).resolves.toEqual(expect.any(String));
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 3, invalidGrant: 0 });
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
      // A new instance with nothing in memory joins the emptied store: it uses the stored token, not the seed.
      await raw.flushall();
      const fresh = await PaymentsAuthFixture.startOn(sandbox, (s) => ({
        tenants: { acme: acmeTenant(s) },
        store: redisStore(),
        tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS,
      }));
      apps.push(fresh);
      await expect(fresh.blnk.forceRenewal('acme')).resolves.toEqual(expect.any(String));
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 4, invalidGrant: 0 });
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  }, 30_000);

  // README § Several instances: Redis › Blnk
  it('4 processes × 200 concurrent callers over 3 lifetimes renew like one instance, 0 invalid_grant', async () => {
    const env = {
      REDIS_PORT: String(redis.port),
      BLINK_URL: sandbox.blink.url,
      BLNK_URL: sandbox.blnk.url,
      CONCURRENCY: '200',
      TOKEN_TIMEOUT_MS: String(FAST_RECOVERY_TIMEOUT_MS),
      DURATION_MS: '9500',
    };
    // All start together, after the new store's recovery window (4 s from the first instance's start), so the
    // run measures renewal under load rather than booting.
    const results = await runLoadWorkers(4, env, 4_500);
    for (const result of results) {
      expect(result).toMatchObject({ failures: 0, errors: [] });
      expect(result.requests).toBeGreaterThan(4_000);
    }
    // One instance alone renews at half of each 3 s lifetime: Blnk ~7 calls in 9.5 s (see the single-process
    // steady-load test); four uncoordinated instances would make ~4x that.
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
    expect(sandbox.blnk.counters.tokenCalls).toBe(sandbox.blnk.counters.tokenIssued);
    expect(sandbox.blnk.counters.tokenCalls).toBeGreaterThanOrEqual(4);
    expect(sandbox.blnk.counters.tokenCalls).toBeLessThanOrEqual(9);
    expect(sandbox.blink.counters.tokenCalls).toBeGreaterThanOrEqual(4);
    expect(sandbox.blink.counters.tokenCalls).toBeLessThanOrEqual(12);
    expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
  }, 90_000);

  // README § Several instances: Redis › Distributed single flight (a dead holder frees the lease)
  // README § Faults: what is survivable › Lease holder killed before its call (once, on Redis)
  it('the lease holder killed (SIGKILL) mid-refresh: another instance completes it after the lease TTL', async () => {
    // The holder's token call hangs at the sandbox; killed, it never reaches the provider's rotation.
    sandbox.blnk.faults.inject({ kind: 'delay', ms: 20_000 });
    const env = {
      WORKER_MODE: 'single',
      REDIS_PORT: String(redis.port),
      BLINK_URL: sandbox.blink.url,
      BLNK_URL: sandbox.blnk.url,
      TOKEN_TIMEOUT_MS: '1500',
    };
    const holder = startWorker(env);
    holder.result.catch(() => undefined);
    for (let poll = 0; poll < 400 && sandbox.blnk.counters.tokenCalls < 1; poll += 1) await sleep(50);
    expect(sandbox.blnk.counters.tokenCalls).toBe(1);
    expect((await raw.keys('*lock*')).length).toBe(2); // the lease, under its name and the 0.x one
    holder.child.kill('SIGKILL');

    const started = Date.now();
    const successor = await startWorker(env).result;
    expect(successor.errors).toEqual([]);
    expect(sandbox.blnk.counters).toMatchObject({ tokenIssued: 1, invalidGrant: 0 });
    expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
