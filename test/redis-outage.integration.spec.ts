import { jest } from '@jest/globals';
import Redis from 'ioredis';
import { PaymentsAuthStatus, TokenStoreError } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { RedisServer, startRedis } from './support/redis.server';

const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;

/** A real redis-server that the tests stall (SIGSTOP), kill and start again. */
describe('RedisTokenStore when Redis is slow or gone', () => {
  let redis: RedisServer;
  let store: RedisTokenStore | undefined;
  let fixture: PaymentsAuthFixture | undefined;

  beforeEach(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    await fixture?.close();
    await store?.close();
    fixture = store = undefined;
    await redis.stop();
  });

  const redisStore = () => new RedisTokenStore({ connection: { port: redis.port, host: '127.0.0.1' } });
  const timed = async (work: Promise<unknown>) => {
    const started = Date.now();
    const outcome = await work.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    return { outcome, ms: Date.now() - started };
  };

  // README § Several instances: Redis › Records
  it('keeps a record with a refresh token 30 days beyond its expiry by default', async () => {
    store = redisStore();
    const now = Date.now();
    await store.set('blnk:acme:f1', {
      accessToken: 'a',
      refreshToken: 'r',
      issuedAt: now,
      expiresAt: now + 60_000,
      version: 1,
    });
    await store.set('blink:acme:f2', { accessToken: 'b', issuedAt: now, expiresAt: now + 60_000, version: 1 });
    const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      const withRefresh = await raw.pttl('payments-auth:blnk:acme:f1');
      expect(withRefresh).toBeGreaterThan(THIRTY_DAYS_MS);
      expect(withRefresh).toBeLessThanOrEqual(THIRTY_DAYS_MS + 60_000);
      const withoutRefresh = await raw.pttl('payments-auth:blink:acme:f2');
      expect(withoutRefresh).toBeGreaterThan(55_000); // -1 would be a key that never expires
      expect(withoutRefresh).toBeLessThanOrEqual(60_000);
    } finally {
      raw.disconnect();
    }
  });

  // README § Several instances: Redis › When Redis comes back empty, restarts or fails over (start-up warning without AOF)
  it('warns at start-up, and health says survivesRestart: false, on a Redis without persistence', async () => {
    const printed: string[] = [];
    const write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
    try {
      fixture = await PaymentsAuthFixture.start(() => ({ store: redisStore() }));
      await fixture.blink.getToken('acme');
    } finally {
      write.mockRestore();
    }
    expect(printed.filter((line) => line.includes('WARN') && line.includes('enable AOF persistence'))).toHaveLength(1);
    expect(fixture.app.get(PaymentsAuthStatus).report().store).toMatchObject({
      survivesRestart: false,
      detail: expect.stringContaining('Redis without persistence'),
    });
  });

  // README § Several instances: Redis (client: an ioredis client of the app's, not closed by us)
  it("uses the app's own ioredis client and leaves it open when the app closes", async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      fixture = await PaymentsAuthFixture.start(() => ({ store: new RedisTokenStore({ client }) }));
      await fixture.blink.getToken('acme');
      expect((await client.keys('payments-auth:blink:acme:*')).length).toBe(1);
      await fixture.close();
      fixture = undefined;
      expect(client.status).toBe('ready');
      await expect(client.ping()).resolves.toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  // README § Several instances: Redis › When Redis comes back empty, restarts or fails over (recovery window max(4 s, tokenCallTimeoutMs + 1 s))
  it('on a never-used Redis the first Blnk refresh waits out tokenCallTimeoutMs + 1 s; Blink does not wait', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({ store: redisStore(), tokenCallTimeoutMs: 6_000 }));
    const started = Date.now();
    await fixture.blink.getToken('acme');
    expect(Date.now() - started).toBeLessThan(3_000);
    await fixture.blnk.getToken('acme');
    // The window started at bootstrap, a little before `started`; with the 4 s floor alone it would be ~4 s.
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(6_000);
    expect(waited).toBeLessThan(10_000);
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
  });

  // README § Several instances: Redis › When Redis is unreachable
  it('every command has a 1 s deadline while Redis is stalled, and one sent while it is down fails within it (no offline queue)', async () => {
    store = redisStore();
    await store.get('warm-up');
    redis.freeze();
    try {
      const stalled = await timed(store.get('blnk:acme:f1'));
      expect(stalled.outcome).toBeInstanceOf(Error);
      expect(stalled.ms).toBeGreaterThanOrEqual(900);
      expect(stalled.ms).toBeLessThan(2_000);
    } finally {
      redis.thaw();
    }
    await redis.down();
    // While it is down, a command waits for a connection at most its deadline, rather than sitting in a queue
    // until Redis is back: a write refused then is not replayed later over a newer record.
    const now = Date.now();
    const refused = await timed(
      store.set('blnk:acme:f1', {
        accessToken: 'a',
        refreshToken: 'r',
        issuedAt: now,
        expiresAt: now + 60_000,
        version: 1,
      }),
    );
    expect(refused.outcome).toBeInstanceOf(Error);
    expect(refused.ms).toBeLessThan(1_500);
    await redis.up();
    for (let attempt = 0; attempt < 40; attempt += 1) {
      if ((await timed(store.get('blnk:acme:other'))).outcome === 'resolved') break;
      await sleep(100);
    }
    await sleep(500); // time for a queued command to be replayed, were there a queue
    await expect(store.get('blnk:acme:f1')).resolves.toBeUndefined();
  });

  // README § Several instances: Redis › When Redis is unreachable
  it('while Redis is down, Blink renews without the lease and Blnk does not refresh: its callers fail only once the token has expired', async () => {
    fixture = await PaymentsAuthFixture.start(
      () => ({ store: redisStore(), tokenCallTimeoutMs: 3_000, resilience: { backoffBaseMs: 100, backoffMaxMs: 200 } }),
      { blink: { tokenLifetimeSeconds: 2 }, blnk: { tokenLifetimeSeconds: 3 } },
    );
    const { sandbox } = fixture;
    await fixture.blink.getToken('acme');
    // A fresh Redis holds no generation marker: the first Blnk refresh waits out the recovery window (4 s).
    await fixture.blnk.getToken('acme');
    const blnkExpiresAt = (await fixture.blnk.getTokenInfo('acme')).expiresAt.getTime();
    const blinkCallsBefore = sandbox.blink.counters.tokenCalls;
    const blnkCallsBefore = sandbox.blnk.counters.tokenCalls;
    await redis.down();

    const blinkFailures: unknown[] = [];
    const blnkBeforeExpiry: unknown[] = [];
    const blnkAfterExpiry: unknown[] = [];
    // Until Blink renewed twice and Blnk's callers were seen after its expiry a few times (a call may take the
    // store's 1 s deadline), at most 6 s past the expiry.
    const enough = () =>
      Date.now() > blnkExpiresAt + 300 &&
      blnkAfterExpiry.length >= 3 &&
      sandbox.blink.counters.tokenCalls >= blinkCallsBefore + 2;
    for (let round = 0; round < 300 && !enough() && Date.now() < blnkExpiresAt + 6_000; round += 1) {
      await fixture.blink.getToken('acme').catch((error: unknown) => blinkFailures.push(error));
      const askedAt = Date.now();
      const blnk = await fixture.blnk.getToken('acme').then(
        () => undefined,
        (error: unknown) => error,
      );
      if (askedAt < blnkExpiresAt - 100) blnkBeforeExpiry.push(blnk);
      else if (askedAt > blnkExpiresAt + 100) blnkAfterExpiry.push(blnk);
      await sleep(50);
    }
    expect(blinkFailures).toEqual([]);
    expect(sandbox.blink.counters.tokenCalls).toBeGreaterThanOrEqual(blinkCallsBefore + 2);
    expect(blnkBeforeExpiry.length).toBeGreaterThan(0);
    expect(blnkBeforeExpiry.filter((outcome) => outcome !== undefined)).toEqual([]);
    expect(blnkAfterExpiry.length).toBeGreaterThan(0);
    for (const outcome of blnkAfterExpiry) expect(outcome).toBeInstanceOf(TokenStoreError);
    expect(sandbox.blnk.counters.tokenCalls).toBe(blnkCallsBefore);
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
  });
});
