import { DEFAULT_BLNK_CLIENT, Sandbox, startSandbox } from '@app/sandbox';
import { MemoryTokenStore, ProviderUnavailableError, TenantConfig } from 'nestjs-payments-auth';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';

/** docs/stores.md "Running at scale": token calls share a bounded keep-alive pool per provider origin. */
// README § Running at scale › Token-call connections
describe('token-call connections', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  function tenants(count: number): Record<string, TenantConfig> {
    return Object.fromEntries(
      Array.from({ length: count }, (_, index) => [
        `t${index}`,
        {
          blink: acmeTenant(sandbox).blink,
          blnk: {
            clientId: DEFAULT_BLNK_CLIENT.clientId,
            clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
            refreshToken: sandbox.blnk.createGrant(DEFAULT_BLNK_CLIENT.clientId),
            baseUrl: sandbox.blnk.url,
          },
        },
      ]),
    );
  }

  it('a cold burst of 10 000 tenants × 2 providers: 0 failures over at most maxSocketsPerOrigin sockets per provider', async () => {
    const config = tenants(10_000);
    const app = await PaymentsAuthFixture.startOn(sandbox, () => ({
      tenants: config,
      defaultTenant: 't0',
      store: new MemoryTokenStore(),
      tokenCallConnections: { maxSocketsPerOrigin: 16 },
      scheduledRenewal: { enabled: false }, // only the burst's own token calls
    }));
    try {
      const ids = Object.keys(config);
      const outcomes = await Promise.allSettled(
        ids.flatMap((tenant) => [app.blink.getToken(tenant), app.blnk.getToken(tenant)]),
      );
      const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(failures.map((failure) => (failure as PromiseRejectedResult).reason?.message).slice(0, 3)).toEqual([]);
      expect(sandbox.blink.counters.tokenIssued).toBe(10_000);
      expect(sandbox.blnk.counters).toMatchObject({ tokenIssued: 10_000, invalidGrant: 0 });
      for (const server of [sandbox.blink, sandbox.blnk]) {
        // Without the pool, Node's global agent opens a socket per concurrent call: thousands.
        expect(server.connections().peakOpen).toBeLessThanOrEqual(16);
        expect(server.connections().opened).toBeLessThanOrEqual(16);
      }
    } finally {
      await app.close();
    }
  }, 120_000);

  it('calls beyond maxQueuedPerOrigin fail at once with ProviderUnavailableError, and nothing of theirs is cached', async () => {
    const config = tenants(40);
    const app = await PaymentsAuthFixture.startOn(sandbox, () => ({
      tenants: config,
      defaultTenant: 't0',
      store: new MemoryTokenStore(),
      tokenCallConnections: { maxSocketsPerOrigin: 2, maxQueuedPerOrigin: 8 },
      resilience: { backoffBaseMs: 1, backoffMaxMs: 1 },
    }));
    try {
      const outcomes = await Promise.allSettled(Object.keys(config).map((tenant) => app.blink.getToken(tenant)));
      const refused = outcomes
        .filter((outcome) => outcome.status === 'rejected')
        .map((outcome) => (outcome as PromiseRejectedResult).reason);
      expect(outcomes.length - refused.length).toBe(10); // 2 running + 8 queued
      for (const error of refused)
        expect(error).toEqual(
          expect.objectContaining({
            name: ProviderUnavailableError.name,
            message: expect.stringContaining('token call queue full'),
          }),
        );
      expect(sandbox.blink.counters.tokenCalls).toBe(10);
      // The refused tenants get their token on the next call, the pool's queue having drained.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(app.blink.getToken('t39')).resolves.toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  });
});
