import { AuthorizationError, PaymentsAuthTenants, TokenStoreError, UnknownTenantError } from 'nestjs-payments-auth';
import { RedisTokenStore } from 'nestjs-payments-auth/redis';
import Redis from 'ioredis';
import { DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { sandboxConsent } from './support/blnk-consent';
import { FlakyStore } from './support/flaky.store';
import { PaymentsAuthFixture } from './support/payments-auth.fixture';
import { RedisServer, startRedis } from './support/redis.server';

const REDIRECT_URI = 'https://app.example/blnk/callback';

const consent = async (authorizationUrl: string) => (await sandboxConsent(authorizationUrl)).query;

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'completed',
    (error: unknown) => (error instanceof AuthorizationError ? error.reason : (error as Error).constructor.name),
  );

/** The limits of the tenant lifecycle: pending requests per tenant, their expiry on Redis, a refused removal. */
describe('tenant lifecycle limits', () => {
  let fixture: PaymentsAuthFixture | undefined;
  let redis: RedisServer | undefined;

  afterEach(async () => {
    await fixture?.close();
    await redis?.stop();
    fixture = redis = undefined;
  });

  const onboardingTenant = (baseUrl: string) => ({
    initech: {
      blnk: { clientId: DEFAULT_BLNK_CLIENT.clientId, clientSecret: DEFAULT_BLNK_CLIENT.clientSecret, baseUrl },
    },
  });

  // README § Tenant lifecycle › Any replica can complete it
  it('keeps at most 10 pending requests per tenant: an 11th drops the oldest', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: onboardingTenant(sandbox.blnk.url),
      defaultTenant: undefined,
    }));
    const requests = [];
    for (let index = 0; index < 11; index += 1)
      requests.push(await fixture.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI }));
    const callbacks = [];
    for (const request of requests) callbacks.push(await consent(request.url));
    expect(await reasonOf(fixture.blnk.completeAuthorization(callbacks[0], { redirectUri: REDIRECT_URI }))).toBe(
      'unknown-state',
    );
    expect(await reasonOf(fixture.blnk.completeAuthorization(callbacks[1], { redirectUri: REDIRECT_URI }))).toBe(
      'completed',
    );
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 1, invalidGrant: 0 });
  });

  // README § Tenant lifecycle › Any replica can complete it
  it('on Redis, the pending record expires with its newest request plus a minute', async () => {
    redis = await startRedis();
    const port = redis.port;
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: onboardingTenant(sandbox.blnk.url),
      defaultTenant: undefined,
      store: new RedisTokenStore({ connection: { host: '127.0.0.1', port }, prefix: 'limits' }),
    }));
    const raw = new Redis({ host: '127.0.0.1', port });
    try {
      await fixture.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI, ttlMs: 5_000 });
      const first = await raw.pttl('limits:blnk:initech:authorization');
      expect(first).toBeGreaterThan(60_000);
      expect(first).toBeLessThanOrEqual(65_000);
      await fixture.blnk.createAuthorizationRequest('initech', { redirectUri: REDIRECT_URI, ttlMs: 120_000 });
      const second = await raw.pttl('limits:blnk:initech:authorization');
      expect(second).toBeGreaterThan(175_000);
      expect(second).toBeLessThanOrEqual(180_000);
    } finally {
      raw.disconnect();
    }
  });

  // README § Tenant lifecycle › Changing tenants at runtime
  it('a removal the store refuses keeps the tenant known and throws; called again, it completes', async () => {
    const store = new FlakyStore();
    fixture = await PaymentsAuthFixture.start(() => ({ store }));
    const tenants = fixture.app.get(PaymentsAuthTenants);
    const token = await fixture.blink.getToken('acme');
    await fixture.blnk.getToken('acme');
    expect(store.records.size).toBe(2);
    store.failDeletes = true;
    await expect(tenants.remove('acme')).rejects.toBeInstanceOf(TokenStoreError);
    expect(tenants.has('acme')).toBe(true);
    expect(await fixture.blink.getToken('acme')).toBe(token);
    store.failDeletes = false;
    await tenants.remove('acme');
    expect(tenants.has('acme')).toBe(false);
    expect([...store.records.keys()]).toEqual([]);
    await expect(fixture.blink.getToken('acme')).rejects.toBeInstanceOf(UnknownTenantError);
  });
});
