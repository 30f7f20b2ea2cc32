import { Agent } from 'node:http';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { isAxiosError } from 'axios';
import { NoTenantError, PaymentsHttpService, runWithTenant } from 'nestjs-payments-auth';
import {
  BlinkSandboxAccount,
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CORE_KEY,
  startSandbox,
} from '@app/sandbox';
import { EchoServer, startEchoServer } from './support/echo.server';
import { startHoldingProxy } from './support/holding.proxy';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';
import { renderingsOf } from './support/secrets';

const BETA: BlinkSandboxAccount = { apiKey: 'beta-api-key', secretKey: 'TOPSECRET-beta', merchantId: 777 };

// README § Calling the provider APIs: PaymentsHttpService
describe('PaymentsHttpService with the payments-auth interceptor', () => {
  let fixture: PaymentsAuthFixture;
  let echo: EchoServer;
  let other: EchoServer;

  beforeEach(async () => {
    echo = await startEchoServer();
    other = await startEchoServer();
  });

  afterEach(async () => {
    await fixture?.close();
    await echo.close();
    await other.close();
  });

  const http = () => fixture.app.get(PaymentsHttpService);
  const intent = (tenant?: string) =>
    firstValueFrom(
      http().post<{ merchant_id: number }>(
        `${fixture.sandbox.blink.url}/api/pay/v1/intents`,
        { amount: 500, currency: 'GBP' },
        tenant === undefined ? {} : { paymentsAuth: { tenant } },
      ),
    );

  const startWithTenants = () =>
    PaymentsAuthFixture.start((sandbox) => {
      sandbox.blink.addAccount(BETA);
      return {
        tenants: {
          acme: acmeTenant(sandbox),
          beta: { blink: { apiKey: BETA.apiKey, secretKey: BETA.secretKey, baseUrl: sandbox.blink.url } },
          keyed: {
            blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: sandbox.blnk.url, instanceId: 'inst_42' },
          },
          core: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: echo.url } },
          keyedEcho: { blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: echo.url } },
          keyedEchoInstance: {
            blnk: { mode: 'api-key', apiKey: DEFAULT_BLNK_API_KEY, baseUrl: echo.url, instanceId: 'inst_42' },
          },
          tokenish: {
            blnk: { clientId: 'c', clientSecret: 'TOPSECRET-c', refreshToken: 'blnk_rt_x', baseUrl: echo.url },
          },
        },
        defaultTenant: 'acme',
      };
    });

  it('attaches the credential for the provider and to no other server', async () => {
    fixture = await startWithTenants();
    expect((await intent()).status).toBe(201);
    await firstValueFrom(http().get(`${echo.url}/anything`));
    expect(echo.requests[0].headers.authorization).toBeUndefined();
    expect(fixture.sandbox.blink.counters).toMatchObject({ tokenCalls: 1, apiCalls: 1, apiUnauthorized: 0 });
  });

  // README § Calling the provider APIs: PaymentsHttpService › Which tenant
  it('chooses the tenant from the request config, then the async context, then defaultTenant', async () => {
    fixture = await startWithTenants();
    expect((await intent()).data.merchant_id).toBe(DEFAULT_BLINK_ACCOUNT.merchantId);
    expect((await runWithTenant('beta', () => intent())).data.merchant_id).toBe(BETA.merchantId);
    expect((await intent('beta')).data.merchant_id).toBe(BETA.merchantId);
    // The explicit field wins over the context.
    expect((await runWithTenant('beta', () => intent('acme'))).data.merchant_id).toBe(DEFAULT_BLINK_ACCOUNT.merchantId);
  });

  it('fails a provider request with no tenant at all before any network call; other hosts pass', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: { acme: acmeTenant(sandbox) },
      defaultTenant: undefined,
    }));
    await expect(intent()).rejects.toBeInstanceOf(NoTenantError);
    expect(fixture.sandbox.blink.counters.apiCalls + fixture.sandbox.blink.counters.tokenCalls).toBe(0);
    expect((await firstValueFrom(http().get(`${echo.url}/public`))).status).toBe(200);
  });

  it('leaves a caller-set Authorization header alone and does not replay its 401', async () => {
    fixture = await startWithTenants();
    const error = await firstValueFrom(
      http().post(
        `${fixture.sandbox.blink.url}/api/pay/v1/intents`,
        {},
        { headers: { Authorization: 'Bearer caller-owned' } },
      ),
    ).catch((caught: unknown) => caught);
    expect(isAxiosError(error) && error.response?.status).toBe(401);
    expect(fixture.sandbox.blink.counters).toMatchObject({ tokenCalls: 0, apiCalls: 1 });
  });

  it('adds instance_id for Blnk Cloud tenants that configure one, unless the request has it', async () => {
    fixture = await startWithTenants();
    const ledgers = `${fixture.sandbox.blnk.url}/data/ledgers`;
    const added = await firstValueFrom(
      http().get<{ instance_id: string }>(ledgers, { paymentsAuth: { tenant: 'keyed' } }),
    );
    expect(added.data.instance_id).toBe('inst_42');
    const kept = await firstValueFrom(
      http().get<{ instance_id: string }>(`${ledgers}?instance_id=inst_7`, { paymentsAuth: { tenant: 'keyed' } }),
    );
    expect(kept.data.instance_id).toBe('inst_7');
    // Exactly as sent: the request's own instance_id is not joined by the tenant's, and a tenant without one adds none.
    const echoed = `${echo.url}/data/ledgers`;
    await firstValueFrom(http().get(`${echoed}?instance_id=inst_7`, { paymentsAuth: { tenant: 'keyedEchoInstance' } }));
    await firstValueFrom(http().get(echoed, { paymentsAuth: { tenant: 'keyedEcho' } }));
    expect(echo.requests.map((request) => request.url)).toEqual(['/data/ledgers?instance_id=inst_7', '/data/ledgers']);
  });

  it('attaches the credential on every request method PaymentsHttpService has', async () => {
    fixture = await startWithTenants();
    const url = `${echo.url}/data/ledgers`;
    const config = { paymentsAuth: { tenant: 'core' } };
    const form = { name: 'ledger' };
    const requests = [
      http().get(url, config),
      http().delete(url, config),
      http().head(url, config),
      http().post(url, form, config),
      http().put(url, form, config),
      http().patch(url, form, config),
      http().postForm(url, form, config),
      http().putForm(url, form, config),
      http().patchForm(url, form, config),
      http().request({ ...config, url, method: 'OPTIONS' }),
    ];
    for (const request of requests) await firstValueFrom(request);
    expect(echo.requests.map((request) => [request.method, request.headers['x-blnk-key']])).toEqual(
      ['GET', 'DELETE', 'HEAD', 'POST', 'PUT', 'PATCH', 'POST', 'PUT', 'PATCH', 'OPTIONS'].map((method) => [
        method,
        DEFAULT_BLNK_CORE_KEY,
      ]),
    );
  });

  it('never attaches credentials to the token endpoints', async () => {
    fixture = await startWithTenants();
    await firstValueFrom(
      http().post(`${echo.url}/oauth/token`, 'grant_type=x', { paymentsAuth: { tenant: 'tokenish' } }),
    );
    expect(echo.requests[0].headers.authorization).toBeUndefined();
    await firstValueFrom(http().post(`${fixture.sandbox.blink.url}/api/pay/v1/tokens`, {})).catch(() => undefined);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1); // our raw call, no token fetched to decorate it
  });

  // README § Calling the provider APIs: PaymentsHttpService › Where credentials go
  it('drops the credential on a redirect that leaves the provider origin, keeps it on one that stays', async () => {
    fixture = await startWithTenants();
    const core = { paymentsAuth: { tenant: 'core' } };
    await firstValueFrom(http().get(`${echo.url}/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`, core));
    expect(echo.requests[0].headers['x-blnk-key']).toBe(DEFAULT_BLNK_CORE_KEY);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].headers['x-blnk-key']).toBeUndefined();

    await firstValueFrom(http().get(`${echo.url}/redirect?to=${encodeURIComponent(`${echo.url}/landing`)}`, core));
    expect(echo.requests.map((request) => request.headers['x-blnk-key'])).toEqual([
      DEFAULT_BLNK_CORE_KEY,
      DEFAULT_BLNK_CORE_KEY,
      DEFAULT_BLNK_CORE_KEY,
    ]);

    // Authorization (Blink, Blnk Cloud) is dropped on a cross-origin redirect too.
    await firstValueFrom(
      http().get(`${echo.url}/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`, {
        paymentsAuth: { tenant: 'keyedEcho' },
      }),
    );
    expect(echo.requests[3].headers.authorization).toBe(`Bearer ${DEFAULT_BLNK_API_KEY}`);
    expect(other.requests).toHaveLength(2);
    expect(other.requests[1].headers.authorization).toBeUndefined();
  });

  // README § Calling the provider APIs: PaymentsHttpService › 401s
  it('on a 401 renews once and replays once', async () => {
    fixture = await startWithTenants();
    await intent();
    fixture.sandbox.blink.revokeAccessTokens();
    const response = await intent();
    expect(response.status).toBe(201);
    expect(fixture.sandbox.blink.counters).toMatchObject({ tokenCalls: 2, apiCalls: 3, apiUnauthorized: 1 });
  });

  it('a 401 for a token renewed meanwhile leaves the new one alone: the request replays with it, no further token call', async () => {
    const sandbox = await startSandbox();
    const proxy = await startHoldingProxy(sandbox.blink.url);
    try {
      const blink = { ...DEFAULT_BLINK_ACCOUNT, baseUrl: proxy.url };
      fixture = await PaymentsAuthFixture.startOn(
        sandbox,
        () => ({
          tenants: { acme: { blink: { apiKey: blink.apiKey, secretKey: blink.secretKey, baseUrl: blink.baseUrl } } },
          defaultTenant: 'acme',
        }),
        true,
      );
      const sent = await fixture.blink.getToken('acme');
      fixture.sandbox.blink.revokeAccessTokens(); // the token the held request carries is refused from now on
      const held = proxy.holdNext('/api/pay/v1/intents');
      const request = firstValueFrom(
        http().post(`${proxy.url}/api/pay/v1/intents`, { amount: 500, currency: 'GBP' }, {}),
      );
      await held.received;
      const renewed = await fixture.blink.forceRenewal('acme'); // renewed while that request is out
      expect(renewed).not.toBe(sent);
      held.release(); // its 401 arrives now, for the token that was sent, no longer the cached one
      expect((await request).status).toBe(201);
      expect(fixture.sandbox.blink.counters).toMatchObject({ tokenCalls: 2, apiUnauthorized: 1 });
      expect(await fixture.blink.getToken('acme')).toBe(renewed);
    } finally {
      await fixture?.close();
      await proxy.close();
    }
  });

  it('returns a second 401 to the caller, never looping', async () => {
    fixture = await startWithTenants();
    await intent();
    fixture.sandbox.blink.revokeAccessTokens();
    // Every token the sandbox issues from now on is refused too.
    const revokeEachNewToken = setInterval(() => fixture.sandbox.blink.revokeAccessTokens(), 1);
    try {
      const error = await intent().catch((caught: unknown) => caught);
      expect(isAxiosError(error) && error.response?.status).toBe(401);
    } finally {
      clearInterval(revokeEachNewToken);
    }
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
    expect(fixture.sandbox.blink.counters.apiUnauthorized).toBe(2);
  });

  it('replays every request in flight across a forced expiry with one new token', async () => {
    fixture = await startWithTenants();
    await intent();
    fixture.sandbox.blink.revokeAccessTokens();
    const responses = await Promise.all(Array.from({ length: 50 }, () => intent()));
    expect(responses.every((response) => response.status === 201)).toBe(true);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
    expect(fixture.sandbox.blink.counters.apiUnauthorized).toBe(50);

    fixture.sandbox.blnk.revokeAccessTokens();
    const ledgers = () => firstValueFrom(http().get(`${fixture.sandbox.blnk.url}/data/ledgers?instance_id=i`));
    await ledgers();
    fixture.sandbox.blnk.revokeAccessTokens();
    const blnkResponses = await Promise.all(Array.from({ length: 50 }, ledgers));
    expect(blnkResponses.every((response) => response.status === 200)).toBe(true);
    expect(fixture.sandbox.blnk.counters).toMatchObject({ tokenCalls: 2, invalidGrant: 0 });
  });

  it('does not replay a body that was a stream', async () => {
    fixture = await startWithTenants();
    await intent();
    fixture.sandbox.blink.revokeAccessTokens();
    const { Readable } = await import('node:stream');
    const error = await firstValueFrom(
      http().post(
        `${fixture.sandbox.blink.url}/api/pay/v1/intents`,
        Readable.from([JSON.stringify({ amount: 1, currency: 'GBP' })]),
        {
          headers: { 'Content-Type': 'application/json' },
        },
      ),
    ).catch((caught: unknown) => caught);
    expect(isAxiosError(error) && error.response?.status).toBe(401);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });

  it('replays every body that can be sent again once its 401 is renewed', async () => {
    fixture = await startWithTenants();
    await intent();
    const json = JSON.stringify({ amount: 500, currency: 'GBP' });
    const bodies: Array<[string, unknown]> = [
      ['a string', json],
      ['a Buffer', Buffer.from(json)],
      ['a typed array', new TextEncoder().encode(json)],
      ['an ArrayBuffer', new TextEncoder().encode(json).buffer],
      ['URLSearchParams', new URLSearchParams({ amount: '500', currency: 'GBP' })],
      ['an object', { amount: 500, currency: 'GBP' }],
      ['null', null],
      ['no body', undefined],
    ];
    for (const [kind, body] of bodies) {
      const tokenCalls = fixture.sandbox.blink.counters.tokenCalls;
      fixture.sandbox.blink.revokeAccessTokens();
      const response = await firstValueFrom(
        http().post(`${fixture.sandbox.blink.url}/api/pay/v1/intents`, body, { validateStatus: () => true }),
      );
      // Whatever the sandbox makes of the body, it was sent again with the new token: no 401 came back.
      expect([kind, response.status === 401, fixture.sandbox.blink.counters.tokenCalls]).toEqual([
        kind,
        false,
        tokenCalls + 1,
      ]);
    }
  });

  // README § Calling the provider APIs: PaymentsHttpService › Errors
  it('a request that never got an answer fails with Axios’s own error, its credential scrubbed', async () => {
    const closed = await startEchoServer();
    const unreachable = closed.url;
    await closed.close();
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: { gone: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: unreachable } } },
      defaultTenant: 'gone',
    }));
    // A GET's head is written alone; a POST's head and body are queued together while the socket connects.
    for (const request of [
      http().get(`${unreachable}/ledgers`),
      http().post(`${unreachable}/ledgers`, { name: 'l' }),
    ]) {
      const error = await firstValueFrom(request).catch((caught: unknown) => caught);
      expect(isAxiosError(error) && error.code).toBe('ECONNREFUSED');
      expect(renderingsOf(error)).not.toContain(DEFAULT_BLNK_CORE_KEY);
    }
  });

  // README § Calling the provider APIs: PaymentsHttpService › Errors
  it('requests that timed out, one of them before it had a socket, leave no credential in their errors', async () => {
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => {
      accepted.add(socket.on('error', () => undefined)); // accepts, never answers
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const agent = new Agent({ maxSockets: 1 }); // the second request waits in the agent's queue, unsent
    try {
      fixture = await PaymentsAuthFixture.start(() => ({
        tenants: { quiet: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: base } } },
        defaultTenant: 'quiet',
      }));
      const timedOut = (path: string) =>
        firstValueFrom(http().get(`${base}${path}`, { httpAgent: agent, timeout: 300 })).catch(
          (caught: unknown) => caught,
        );
      const errors = await Promise.all([timedOut('/first'), timedOut('/queued')]);
      for (const error of errors) {
        expect(isAxiosError(error) && error.code).toBe('ECONNABORTED');
        expect(renderingsOf(error)).not.toContain(DEFAULT_BLNK_CORE_KEY);
      }
    } finally {
      agent.destroy();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  // README § Calling the provider APIs: PaymentsHttpService › Errors
  it('scrubs credentials from every Axios error that reaches the caller', async () => {
    fixture = await startWithTenants();
    const token = await fixture.blink.getToken('acme');
    const notFound = await firstValueFrom(http().get(`${fixture.sandbox.blink.url}/api/pay/v1/nowhere`)).catch(
      (caught: unknown) => caught,
    );
    expect(isAxiosError(notFound) && notFound.response?.status).toBe(404);
    expect(renderingsOf(notFound)).not.toContain(token);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1); // only a 401 says anything about the token

    const badKey = await firstValueFrom(
      http().get(`${fixture.sandbox.blnk.url}/ledgers`, { paymentsAuth: { tenant: 'keyed' }, headers: {} }),
    ).catch((caught: unknown) => caught);
    expect(isAxiosError(badKey) && badKey.response?.status).toBe(401);
    expect(renderingsOf(badKey)).not.toContain(DEFAULT_BLNK_API_KEY);
    expect(JSON.stringify((badKey as { toJSON(): unknown }).toJSON())).not.toContain(DEFAULT_BLNK_API_KEY);
  });
});
