import { inspect } from 'node:util';
import { jest } from '@jest/globals';
import { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { Test } from '@nestjs/testing';
import {
  BlinkTokenService,
  MemoryTokenStore,
  PaymentsAuthMetrics,
  PaymentsAuthModule,
  PaymentsHttpService,
  UnknownTenantError,
  runWithTenant,
} from 'nestjs-payments-auth';
import { DEFAULT_BLNK_API_KEY, DEFAULT_BLNK_CORE_KEY } from '@app/sandbox';
import { fixedTokens } from 'nestjs-payments-auth/testing';
import { EchoServer, startEchoServer } from './support/echo.server';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';
import { renderingsOf } from './support/secrets';

/** Where a credential may go, decided from the URL Axios really requests, and what no tenant context can break. */
describe('credential targeting', () => {
  let fixture: PaymentsAuthFixture;
  let provider: EchoServer;
  let other: EchoServer;

  beforeEach(async () => {
    provider = await startEchoServer();
    other = await startEchoServer();
  });

  afterEach(async () => {
    await fixture?.close();
    await provider.close();
    await other.close();
  });

  const http = () => fixture.app.get(PaymentsHttpService);
  const start = (extra: object = {}) =>
    PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        acme: acmeTenant(sandbox),
        core: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: `${provider.url}/core` } },
        cloud: { blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: `${provider.url}/cloud` } },
        oauth: {
          blnk: {
            clientId: 'cid',
            clientSecret: 'TOPSECRET-cs',
            refreshToken: 'rt-seed',
            baseUrl: `${provider.url}/oauth-tenant`,
          },
        },
      },
      defaultTenant: 'acme',
      ...extra,
    }));

  /** An app whose BlinkTokenService is `service`, its one tenant's Blink base URL on the echo server. */
  const appWithBlinkService = (service: object) =>
    Test.createTestingModule({
      imports: [
        PaymentsAuthModule.forRoot({
          tenants: { acme: { blink: { apiKey: 'k', secretKey: 'TOPSECRET-s', baseUrl: `${provider.url}/blink` } } },
          defaultTenant: 'acme',
          store: new MemoryTokenStore(),
        }),
      ],
    })
      .overrideProvider(BlinkTokenService)
      .useValue(service)
      .compile();

  it('attaches what an overridden token service gives (a test double of its public methods is enough)', async () => {
    const app = await appWithBlinkService({
      getAuthHeaders: async (tenant: string) => ({ Authorization: `Bearer stub-for-${tenant}` }),
    });
    try {
      await firstValueFrom(app.get(PaymentsHttpService).get(`${provider.url}/blink/api/pay/v1/intents`));
      expect(provider.requests.map((request) => request.headers.authorization)).toEqual(['Bearer stub-for-acme']);
    } finally {
      await app.close();
    }
  });

  it("calls a subclass's own getAuthHeaders on every request, even with the token cached", async () => {
    class AuditedBlinkTokenService extends BlinkTokenService {
      calls = 0;
      override getAuthHeaders(tenant: string) {
        this.calls += 1;
        return super.getAuthHeaders(tenant);
      }
    }
    fixture = await start();
    const app = await Test.createTestingModule({
      imports: [
        PaymentsAuthModule.forRoot({
          tenants: { acme: acmeTenant(fixture.sandbox) },
          defaultTenant: 'acme',
          store: new MemoryTokenStore(),
        }),
      ],
    })
      .overrideProvider(BlinkTokenService)
      .useClass(AuditedBlinkTokenService)
      .compile();
    try {
      const service = app.get(BlinkTokenService) as AuditedBlinkTokenService;
      for (let request = 0; request < 3; request += 1) {
        const response = await firstValueFrom(
          app.get(PaymentsHttpService).post(`${fixture.sandbox.blink.url}/api/pay/v1/intents`, { amount: 1 }),
        );
        expect(response.status).toBe(201);
      }
      expect(service.calls).toBe(3);
      expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('sends what a spy on the service prototype answers, even with the token cached', async () => {
    fixture = await start();
    const url = `${fixture.sandbox.blink.url}/api/pay/v1/intents`;
    expect((await firstValueFrom(http().post(url, { amount: 1 }))).status).toBe(201); // the token is cached now
    const spy = jest
      .spyOn(BlinkTokenService.prototype, 'getAuthHeaders')
      .mockResolvedValue({ Authorization: 'Bearer spied' });
    try {
      // The sandbox refuses the spied token (and its one replay): the cached one was not sent instead.
      const refused = await firstValueFrom(http().post(url, { amount: 1 })).catch((error: unknown) => error);
      expect(isAxiosError(refused) && refused.response?.status).toBe(401);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("sends what a test's own getAuthHeaders answers on top of the fixedTokens stand-in", async () => {
    const stand = fixedTokens({ blink: 'fixed-blink-token' });
    const app = await appWithBlinkService({
      ...stand.blink,
      getAuthHeaders: async (tenant: string) => ({ Authorization: `Bearer own-${tenant}` }),
    });
    try {
      await firstValueFrom(app.get(PaymentsHttpService).get(`${provider.url}/blink/api/pay/v1/intents`));
      expect(provider.requests.map((request) => request.headers.authorization)).toEqual(['Bearer own-acme']);
    } finally {
      await app.close();
    }
  });

  describe('allowAbsoluteUrls: false, where Axios joins even an absolute URL to baseURL', () => {
    it('sends no Blink token when the module http option sends the provider URL to another host', async () => {
      fixture = await start({ http: { allowAbsoluteUrls: false, baseURL: other.url } });
      const response = await firstValueFrom(http().get(`${fixture.sandbox.blink.url}/api/pay/v1/intents`));
      expect(response.status).toBe(200); // the other host answered
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0].url).toContain('/api/pay/v1/intents');
      expect(other.requests[0].headers.authorization).toBeUndefined();
      expect(fixture.sandbox.blink.counters.tokenCalls).toBe(0);
    });

    it('sends no X-Blnk-Key when a per-request option sends the provider URL to another host', async () => {
      fixture = await start();
      const config = { allowAbsoluteUrls: false, baseURL: other.url, paymentsAuth: { tenant: 'core' } };
      await firstValueFrom(http().get(`${provider.url}/core/ledgers`, config));
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0].headers['x-blnk-key']).toBeUndefined();
      expect(provider.requests).toHaveLength(0);
    });

    it('still sends it when the joined URL is the provider', async () => {
      fixture = await start({ http: { allowAbsoluteUrls: false, baseURL: `${provider.url}/core` } });
      await firstValueFrom(http().get('/ledgers', { paymentsAuth: { tenant: 'core' } }));
      expect(provider.requests[0].url).toBe('/core/ledgers');
      expect(provider.requests[0].headers['x-blnk-key']).toBe(DEFAULT_BLNK_CORE_KEY);
    });
  });

  // README § Security model › What is promised (credentials only under the base URL, redirects included)
  it("one URL asked for by two tenants gets each tenant's own answer, however often it was asked before", async () => {
    fixture = await start();
    const url = `${provider.url}/cloud/ledgers`; // under cloud's base URL, not under core's
    for (let round = 0; round < 2; round += 1) {
      for (const tenant of ['core', 'cloud', 'core'])
        await firstValueFrom(http().get(url, { paymentsAuth: { tenant } }));
    }
    expect(provider.requests.map((request) => [request.headers['x-blnk-key'], request.headers.authorization])).toEqual(
      Array(2)
        .fill([
          [undefined, undefined],
          [undefined, `Bearer ${DEFAULT_BLNK_API_KEY}`],
          [undefined, undefined],
        ])
        .flat(),
    );
  });

  // README § Security model › What is promised (credentials only under the base URL, redirects included)
  it('a redirect out of a base path on the same origin drops Authorization and X-Blnk-Key', async () => {
    fixture = await start();
    const away = encodeURIComponent(`${provider.url}/elsewhere`);
    await firstValueFrom(http().get(`${provider.url}/core/redirect?to=${away}`, { paymentsAuth: { tenant: 'core' } }));
    await firstValueFrom(
      http().get(`${provider.url}/cloud/redirect?to=${away}`, { paymentsAuth: { tenant: 'cloud' } }),
    );
    const [coreHop, coreLanding, cloudHop, cloudLanding] = provider.requests;
    expect(coreHop.headers['x-blnk-key']).toBe(DEFAULT_BLNK_CORE_KEY);
    expect(coreLanding).toMatchObject({ url: '/elsewhere' });
    expect(coreLanding.headers['x-blnk-key']).toBeUndefined();
    expect(cloudHop.headers.authorization).toBe(`Bearer ${DEFAULT_BLNK_API_KEY}`);
    expect(cloudLanding.headers.authorization).toBeUndefined();
    // Staying under the base path keeps it.
    await firstValueFrom(
      http().get(`${provider.url}/cloud/redirect?to=${encodeURIComponent(`${provider.url}/cloud/x`)}`, {
        paymentsAuth: { tenant: 'cloud' },
      }),
    );
    expect(provider.requests[5]).toMatchObject({ url: '/cloud/x' });
    expect(provider.requests[5].headers.authorization).toBe(`Bearer ${DEFAULT_BLNK_API_KEY}`);
  });

  describe("Axios's fetch adapter, which runs no redirect hooks", () => {
    it('does not follow redirects of a credentialed request, and scrubs the Request it leaves on the error', async () => {
      fixture = await start({ http: { adapter: 'fetch' } });
      const away = encodeURIComponent(`${other.url}/landing`);
      const error = await firstValueFrom(
        http().get(`${provider.url}/core/redirect?to=${away}`, { paymentsAuth: { tenant: 'core' } }),
      ).catch((caught: unknown) => caught);
      expect(isAxiosError(error) && error.response?.status).toBe(302);
      expect(provider.requests[0].headers['x-blnk-key']).toBe(DEFAULT_BLNK_CORE_KEY);
      expect(other.requests).toHaveLength(0);
      expect(isAxiosError(error) && error.request).toBeDefined();
      expect(renderingsOf(error)).not.toContain(DEFAULT_BLNK_CORE_KEY);
      expect(inspect(error, { depth: 8, showHidden: true })).not.toContain(DEFAULT_BLNK_CORE_KEY);
    });

    it('follows redirects of requests without a credential as usual', async () => {
      fixture = await start({ http: { adapter: 'fetch' } });
      const response = await firstValueFrom(
        http().get(`${other.url}/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`),
      );
      expect(response.status).toBe(200);
      expect(other.requests.map((request) => request.url)).toEqual([expect.stringContaining('/redirect'), '/landing']);
    });
  });

  it('renews and replays a 401 once even when the caller’s validateStatus accepts it', async () => {
    fixture = await start();
    const intent = () =>
      firstValueFrom(
        http().post(
          `${fixture.sandbox.blink.url}/api/pay/v1/intents`,
          { amount: 5, currency: 'GBP' },
          { validateStatus: () => true },
        ),
      );
    expect((await intent()).status).toBe(201);
    fixture.sandbox.blink.revokeAccessTokens();
    expect((await intent()).status).toBe(201);
    expect(fixture.sandbox.blink.counters).toMatchObject({ tokenCalls: 2, apiUnauthorized: 1 });
    expect(fixture.app.get(PaymentsAuthMetrics).snapshot().replays).toBe(1);

    // A second 401 comes back to the caller as the response its validateStatus asked for, without a loop.
    const revokeEachNewToken = setInterval(() => fixture.sandbox.blink.revokeAccessTokens(), 1);
    fixture.sandbox.blink.revokeAccessTokens();
    try {
      expect((await intent()).status).toBe(401);
    } finally {
      clearInterval(revokeEachNewToken);
    }
    expect(fixture.sandbox.blink.counters.apiUnauthorized).toBe(3);
  });

  describe('401s', () => {
    const tokenCalls = () => provider.requests.filter((request) => request.url.endsWith('/oauth/token')).length;
    const oauth = { paymentsAuth: { tenant: 'oauth' } };

    it('a 401 from the provider renews and replays; one from wherever a redirect led does not touch the token', async () => {
      fixture = await start();
      await firstValueFrom(http().get(`${provider.url}/oauth-tenant/unauthorized`, oauth)).catch(() => undefined);
      expect(tokenCalls()).toBe(2); // the first token, then the renewal for the replay
      const away = encodeURIComponent(`${other.url}/unauthorized`);
      const error = await firstValueFrom(http().get(`${provider.url}/oauth-tenant/redirect?to=${away}`, oauth)).catch(
        (caught: unknown) => caught,
      );
      expect(isAxiosError(error) && error.response?.status).toBe(401);
      expect(other.requests[0].headers.authorization).toBeUndefined();
      expect(tokenCalls()).toBe(2); // no renewal: the refresh token was not rotated for a foreign 401
      expect(fixture.app.get(PaymentsAuthMetrics).snapshot().replays).toBe(1);
    });

    it('an API error body that echoes the credential has it redacted in the thrown error', async () => {
      fixture = await start();
      const token = await fixture.blnk.getToken('oauth');
      for (const [url, tenant, secret] of [
        [`${provider.url}/oauth-tenant/echo-credential`, 'oauth', token],
        [`${provider.url}/core/echo-credential`, 'core', DEFAULT_BLNK_CORE_KEY],
      ]) {
        const error = await firstValueFrom(http().get(url, { paymentsAuth: { tenant } })).catch(
          (caught: unknown) => caught,
        );
        expect(isAxiosError(error) && error.response?.status).toBe(400);
        expect(JSON.stringify(isAxiosError(error) && error.response?.data)).toContain('[REDACTED]');
        expect(renderingsOf(error)).not.toContain(secret);
      }
    });
  });

  describe('a tenant context naming an unknown tenant', () => {
    it('leaves requests to other hosts untouched and fails provider requests with UnknownTenantError', async () => {
      fixture = await start();
      const response = await runWithTenant('nosuch', () => firstValueFrom(http().get(`${other.url}/public`)));
      expect(response.status).toBe(200);
      expect(other.requests[0].headers.authorization).toBeUndefined();
      await expect(
        runWithTenant('nosuch', () => firstValueFrom(http().get(`${fixture.sandbox.blink.url}/api/pay/v1/intents`))),
      ).rejects.toBeInstanceOf(UnknownTenantError);
      expect(fixture.sandbox.blink.counters.apiCalls).toBe(0);
    });

    it('also when the tenant resolver fails or finds nothing', async () => {
      let lookups = 0;
      const resolveTenant = async (tenant: string) => {
        lookups += 1;
        if (tenant === 'db-down') throw new Error('database unavailable');
        return undefined;
      };
      fixture = await start({ resolveTenant });
      for (const tenant of ['nosuch', 'db-down']) {
        const response = await runWithTenant(tenant, () => firstValueFrom(http().get(`${other.url}/public`)));
        expect(response.status).toBe(200);
      }
      expect(lookups).toBe(2);
      await expect(
        runWithTenant('db-down', () => firstValueFrom(http().get(`${fixture.sandbox.blink.url}/x`))),
      ).rejects.toThrow('database unavailable');
    });

    it('also when the resolver never answers: a request to another host waits for it at most a second', async () => {
      let answer: (value: undefined) => void = () => undefined;
      const hanging = new Promise<undefined>((resolve) => (answer = resolve));
      fixture = await start({ resolveTenant: () => hanging });
      const startedAt = Date.now();
      const response = await runWithTenant('slow', () => firstValueFrom(http().get(`${other.url}/public`)));
      expect(response.status).toBe(200);
      const waitedMs = Date.now() - startedAt;
      expect(waitedMs).toBeGreaterThanOrEqual(950); // it did wait for the lookup, a second
      expect(waitedMs).toBeLessThan(1_800);
      answer(undefined); // let the lookup settle before the app closes
    });
  });
});
