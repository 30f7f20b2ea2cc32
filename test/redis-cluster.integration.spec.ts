import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import Redis from 'ioredis';
import { StoredToken } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant, sleep } from './support/payments-auth.fixture';
import { RedisServer, startRedis } from './support/redis.server';
import { REPO_ROOT } from './support/repo-root';

/** Rotating refreshes wait max(4 s, tokenCallTimeoutMs + 1 s) after a store loss or on a new store: keep it 4 s. */
const FAST_RECOVERY_TIMEOUT_MS = 3_000;

interface WorkerResult {
  failures: number;
  errors: string[];
  requests: number;
  blinkTokens: number;
  blnkTokens: number;
  crashed?: string;
}

/** One clustered instance as a separate Node process (test/support/cluster-worker.ts). */
function startWorker(env: Record<string, string>): { child: ChildProcess; result: Promise<WorkerResult>; ready: Promise<void> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'test/support/cluster-worker.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', () => reject(new Error('worker exited before it was ready')));
  });
  ready.catch(() => undefined); // single-mode workers never say ready
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', () => undefined);
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.once('exit', () => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as WorkerResult);
      else reject(new Error('worker exited without a result'));
    });
  });
  return { child, result, ready };
}

const record = (version: number, accessToken = `access-${version}`): StoredToken => ({
  accessToken,
  refreshToken: `refresh-${version}`,
  expiresAt: Date.now() + 60_000,
  issuedAt: Date.now(),
  version,
});

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

    it('namespaces keys, ties the TTL to expiry and keeps refresh tokens beyond it', async () => {
      store = redisStore({ prefix: 'payments-auth', refreshTokenRetentionMs: 3_600_000 });
      const blnkRecord = record(1);
      await store.set('blnk:acme:abc', blnkRecord);
      await store.set('blink:acme:def', { ...record(1), refreshToken: undefined });
      expect((await raw.keys('*')).sort()).toEqual(['payments-auth:blink:acme:def', 'payments-auth:blnk:acme:abc']);
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

    it('locks with an owner and releases only its own lock', async () => {
      store = redisStore();
      const owner = await store.acquireLock('k', 5_000);
      expect(owner).toEqual(expect.any(String));
      expect(await store.acquireLock('k', 5_000)).toBeUndefined();
      await store.releaseLock('k', 'not-the-owner');
      expect(await store.acquireLock('k', 5_000)).toBeUndefined();
      await store.releaseLock('k', owner as string);
      expect(await store.acquireLock('k', 100)).toEqual(expect.any(String));
      await sleep(150);
      expect(await store.acquireLock('k', 100)).toEqual(expect.any(String)); // the TTL freed it
    });

    it('leases: extended only by their owner, re-taken by it when Redis lost them, free after the TTL', async () => {
      store = redisStore();
      const owner = (await store.acquireLock('k', 300)) as string;
      expect(await store.extendLock('k', 'someone-else', 300)).toBe(false);
      expect(await store.extendLock('k', owner, 300)).toBe(true);
      await raw.del('payments-auth:lock:k'); // Redis restarted empty mid-call
      expect(await store.extendLock('k', owner, 300)).toBe(true);
      expect(await store.acquireLock('k', 300)).toBeUndefined();
      await sleep(400);
      const successor = await store.acquireLock('k', 300);
      expect(successor).toEqual(expect.any(String));
      expect(await store.extendLock('k', owner, 300)).toBe(false);
    });

    it('generation marker: absent on an empty Redis, claimed once, gone with the data', async () => {
      store = redisStore();
      expect(await store.readGeneration()).toBeUndefined();
      const first = await store.claimGeneration({ id: 'first', createdAt: 1 });
      expect(first).toEqual({ id: 'first', createdAt: 1 });
      expect(await store.claimGeneration({ id: 'second', createdAt: 2 })).toEqual(first);
      await raw.flushall();
      expect(await store.readGeneration()).toBeUndefined();
    });

    it('reports a Redis without persistence', async () => {
      store = redisStore();
      expect(await store.durability()).toEqual({ survivesRestart: false, detail: expect.stringContaining('no AOF') });
    });

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

  it('two instances: concurrent cold callers on both cause one token call per provider', async () => {
    // Long-lived tokens: on a never-used Redis the first Blnk refresh waits out the recovery window (4 s), in
    // which 3 s Blink tokens would be renewed.
    await sandbox.close();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 60 } });
    const apps = await Promise.all(
      [0, 1].map(() => PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store: redisStore(), tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS }))),
    );
    try {
      const tokens = await Promise.all(apps.flatMap((app) => Array.from({ length: 100 }, () => [app.blink.getToken('acme'), app.blnk.getToken('acme')]).flat()));
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
      [0, 1].map(() => PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store: redisStore(), tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS }))),
    );
    try {
      await Promise.all(apps.map((app) => Promise.all([app.blink.getToken('acme'), app.blnk.getToken('acme')])));
      let failures = 0;
      let requests = 0;
      const load = (async () => {
        for (let round = 0; round < 60; round += 1) {
          const results = await Promise.allSettled(apps.flatMap((app) => [app.blink.getToken('acme'), app.blnk.getToken('acme')]));
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

  it('Redis emptied behind two instances holding different versions: the newest is put back and used, 0 invalid_grant', async () => {
    await sandbox.close();
    sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 60 }, blnk: { tokenLifetimeSeconds: 60 } });
    const apps = await Promise.all([0, 1].map(() => PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store: redisStore(), tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS }))));
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
      const fresh = await PaymentsAuthFixture.startOn(sandbox, (s) => ({ tenants: { acme: acmeTenant(s) }, store: redisStore(), tokenCallTimeoutMs: FAST_RECOVERY_TIMEOUT_MS }));
      apps.push(fresh);
      await expect(fresh.blnk.forceRenewal('acme')).resolves.toEqual(expect.any(String));
      expect(sandbox.blnk.counters).toMatchObject({ tokenCalls: 4, invalidGrant: 0 });
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  }, 30_000);

  it('4 processes × 200 concurrent callers over 3 lifetimes renew like one instance, 0 invalid_grant', async () => {
    const env = {
      WORKER_MODE: 'load',
      REDIS_PORT: String(redis.port),
      BLINK_URL: sandbox.blink.url,
      BLNK_URL: sandbox.blnk.url,
      CONCURRENCY: '200',
      TOKEN_TIMEOUT_MS: String(FAST_RECOVERY_TIMEOUT_MS),
      DURATION_MS: '9500',
    };
    const workers = Array.from({ length: 4 }, () => startWorker(env));
    // Bounded by the test's timeout; four ts-node processes take several seconds to boot on two cores.
    await Promise.all(workers.map((worker) => worker.ready));
    // All start together, after the new store's recovery window (4 s from the first instance's start), so the
    // run measures renewal under load rather than booting.
    const startAt = Date.now() + 4_500;
    for (const worker of workers) worker.child.send({ startAt });
    const results = await Promise.all(workers.map((worker) => worker.result));
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

  it('the lock holder killed (SIGKILL) mid-refresh: another instance completes it after the lock TTL', async () => {
    // The holder's token call hangs at the sandbox; killed, it never reaches the provider's rotation.
    sandbox.blnk.faults.inject({ kind: 'delay', ms: 20_000 });
    const env = { WORKER_MODE: 'single', REDIS_PORT: String(redis.port), BLINK_URL: sandbox.blink.url, BLNK_URL: sandbox.blnk.url, TOKEN_TIMEOUT_MS: '1500' };
    const holder = startWorker(env);
    holder.result.catch(() => undefined);
    for (let poll = 0; poll < 400 && sandbox.blnk.counters.tokenCalls < 1; poll += 1) await sleep(50);
    expect(sandbox.blnk.counters.tokenCalls).toBe(1);
    expect(await raw.keys('payments-auth:lock:*')).toHaveLength(1);
    holder.child.kill('SIGKILL');

    const started = Date.now();
    const successor = await startWorker(env).result;
    expect(successor.errors).toEqual([]);
    expect(sandbox.blnk.counters).toMatchObject({ tokenIssued: 1, invalidGrant: 0 });
    expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
