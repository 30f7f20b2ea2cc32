import Redis from 'ioredis';
import { StoredToken } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { DEFAULT_BLNK_SEED_REFRESH_TOKEN, Sandbox, startSandbox } from '@app/sandbox';
import { sleep } from './support/payments-auth.fixture';
import { RedisSentinelSet, startRedisSentinelSet } from './support/redis-sentinel.server';
import { runLoadWorkers } from './support/redis-workers';

/** docs/stores.md "Running at scale": a Sentinel-managed primary and replica, failed over mid-run. */
// README § Running at scale › Sentinel failover
describe('Redis Sentinel failover', () => {
  let set: RedisSentinelSet;

  beforeEach(async () => {
    set = await startRedisSentinelSet();
  }, 30_000);

  afterEach(async () => {
    await set.stop();
  });

  const viaSentinel = (role: 'master' | 'slave') => {
    const client = new Redis({ sentinels: set.sentinels, name: set.masterName, role, lazyConnect: true });
    client.on('error', () => undefined); // "All sentinels are unreachable" while a failover runs
    return client;
  };

  it('with waitForReplicas, a refresh token is on the replica when its write returns; a stalled replica fails the write until it has it', async () => {
    const store = new RedisTokenStore({
      connection: { sentinels: set.sentinels, name: set.masterName },
      waitForReplicas: { replicas: 1, timeoutMs: 1_000 },
    });
    const replica = viaSentinel('slave');
    try {
      const record: StoredToken = {
        accessToken: 'a1',
        refreshToken: 'r1',
        expiresAt: Date.now() + 60_000,
        issuedAt: Date.now(),
        version: 1,
      };
      for (let version = 1; version <= 20; version += 1) {
        expect(await store.compareAndSet('blnk:acme:abc', { ...record, version })).toBe(true);
        // Read at once from the replica: WAIT returned only after it acknowledged the write.
        expect(await replica.hget('payments-auth:blnk:acme:abc', 'v')).toBe(String(version));
      }
      // The replica stops (SIGSTOP): the write lands on the primary but is reported as failed, and so is the
      // engine's retry of it, until the replica is back and acknowledges.
      const replicaPid = Number(/^process_id:(\d+)/m.exec(await replica.info('server'))?.[1]);
      process.kill(replicaPid, 'SIGSTOP');
      try {
        await expect(store.compareAndSet('blnk:acme:abc', { ...record, version: 21 })).rejects.toMatchObject({
          code: 'EREPLICAS',
        });
        await expect(store.compareAndSet('blnk:acme:abc', { ...record, version: 21 })).rejects.toMatchObject({
          code: 'EREPLICAS',
        });
      } finally {
        process.kill(replicaPid, 'SIGCONT');
      }
      await expect(store.compareAndSet('blnk:acme:abc', { ...record, version: 21 })).resolves.toBe(false); // stored already, now replicated
      expect(await replica.hget('payments-auth:blnk:acme:abc', 'v')).toBe('21');
    } finally {
      replica.disconnect();
      await store.close();
    }
  });

  describe('four instances under load', () => {
    let sandbox: Sandbox;

    beforeEach(async () => {
      // 16 s tokens renew 8 s before expiry: more than a failover (about 3 s) plus the recovery window after it (4 s).
      sandbox = await startSandbox({ blink: { tokenLifetimeSeconds: 16 }, blnk: { tokenLifetimeSeconds: 16 } });
    });

    afterEach(async () => {
      await sandbox.close();
    });

    it('the primary SIGKILLed mid-run: the replica takes over with the newest refresh token, 0 invalid_grant, 0 failed requests', async () => {
      const env = {
        REDIS_SENTINEL_PORTS: set.sentinels.map((sentinel) => sentinel.port).join(','),
        REDIS_MASTER_NAME: set.masterName,
        BLINK_URL: sandbox.blink.url,
        BLNK_URL: sandbox.blnk.url,
        CONCURRENCY: '50',
        TOKEN_TIMEOUT_MS: '3000',
        DURATION_MS: '24000',
      };
      const primaryBefore = await set.primaryPort();
      let failoverMs = 0;
      let blnkCallsBeforeKill = 0;
      const results = await runLoadWorkers(4, env, 4_500, async (startAt) => {
        await sleep(Math.max(0, startAt + 9_000 - Date.now())); // after the first renewal (8 s into a token's life)
        blnkCallsBeforeKill = sandbox.blnk.counters.tokenCalls;
        failoverMs = await set.killPrimaryAndAwaitFailover();
      });
      expect(await set.primaryPort()).not.toBe(primaryBefore);
      expect(failoverMs).toBeGreaterThan(0);
      expect(blnkCallsBeforeKill).toBeGreaterThanOrEqual(2); // at least one rotation was on the killed primary
      for (const result of results) {
        expect(result).toMatchObject({ failures: 0, errors: [] });
        expect(result.requests).toBeGreaterThan(1_000);
      }
      // Rotation went on after the failover, from the refresh token the replica had acknowledged.
      expect(sandbox.blnk.counters.tokenCalls).toBeGreaterThan(blnkCallsBeforeKill);
      expect(sandbox.blnk.counters.invalidGrant).toBe(0);
      expect(sandbox.blnk.isGrantRevoked(DEFAULT_BLNK_SEED_REFRESH_TOKEN)).toBe(false);
      const delays = results.map((result) => `${result.slowRequests} over 100 ms, longest ${result.maxLatencyMs} ms`);
      process.stdout.write(`sentinel failover: ${failoverMs} ms; per instance: ${delays.join('; ')}\n`);
    }, 120_000);
  });
});
