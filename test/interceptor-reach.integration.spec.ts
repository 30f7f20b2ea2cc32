import { Agent } from 'node:http';
import { createConnection } from 'node:net';
import { inspect } from 'node:util';
import { Controller, Get, type INestApplication, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Test } from '@nestjs/testing';
import axios, { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import {
  MemoryTokenStore,
  PaymentsAuthAxiosInterceptor,
  PaymentsAuthModule,
  PaymentsHttpService,
  TenantContextMiddleware,
  currentTenant,
  runWithTenant,
} from 'nestjs-payments-auth';
import { DEFAULT_BLNK_API_KEY, DEFAULT_BLNK_CORE_KEY } from '@app/sandbox';
import { EchoServer, startEchoServer } from './support/echo.server';
import { PaymentsAuthFixture } from './support/payments-auth.fixture';
import { renderingsOf } from './support/secrets';

/**
 * Where the interceptor reaches and where it does not: the Axios instances it leaves alone, the instances it is
 * attached to and detached from, the URLs and redirects a static credential goes to (over real HTTP, to a local
 * server that records what arrived), and what a thrown Axios error still shows.
 */
describe('what the payments-auth interceptor touches', () => {
  let fixture: PaymentsAuthFixture | undefined;
  let echo: EchoServer;
  let agent: Agent;
  let port: number;

  beforeEach(async () => {
    echo = await startEchoServer();
    port = Number(new URL(echo.url).port);
    // Every connection lands on the echo server, whatever host it names: redirects to other hosts and
    // subdomains are then real requests whose headers can be read.
    agent = new Agent();
    agent.createConnection = (() =>
      createConnection({ host: '127.0.0.1', port })) as unknown as (typeof agent)['createConnection'];
  });

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    agent.destroy();
    await echo.close();
  });

  const staticTenants = () => ({
    core: { blnk: { mode: 'core' as const, apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: `http://localhost:${port}/api` } },
    cloud: { blnk: { mode: 'api-key' as const, apiKey: DEFAULT_BLNK_API_KEY, baseUrl: `http://localhost:${port}` } },
  });
  const startStatic = (http: object = { httpAgent: agent }) =>
    PaymentsAuthFixture.start(() => ({ tenants: staticTenants(), defaultTenant: undefined, http }));
  const http = () => (fixture as PaymentsAuthFixture).app.get(PaymentsHttpService);
  const get = (url: string, tenant: string, headers: Record<string, string> = {}) =>
    firstValueFrom(http().get(url, { paymentsAuth: { tenant }, headers })).catch((error: unknown) => error);
  const keysSeen = () => echo.requests.map((request) => [request.url, request.headers['x-blnk-key'] ?? null]);

  // README § Calling the provider APIs: PaymentsHttpService
  it("leaves the global axios default and the app's own HttpService untouched", async () => {
    const globalHandlers = () =>
      (axios.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean).length;
    const before = globalHandlers();
    fixture = await PaymentsAuthFixture.start(() => ({}), {}, { imports: [HttpModule] });
    const own = fixture.app.get(HttpService);
    expect(own).not.toBe(http());
    const intents = `${fixture.sandbox.blink.url}/api/pay/v1/intents`;
    const body = { amount: 100, currency: 'GBP' };
    for (const client of [own.axiosRef, axios]) {
      const error = await client.post(intents, body).catch((caught: unknown) => caught);
      expect(isAxiosError(error) && error.response?.status).toBe(401);
    }
    expect(globalHandlers()).toBe(before);
    expect((await firstValueFrom(http().post(intents, body, { paymentsAuth: { tenant: 'acme' } }))).status).toBe(201);
    expect(fixture.sandbox.blink.counters).toMatchObject({ apiUnauthorized: 2, tokenCalls: 1 });
  });

  // README § Calling the provider APIs: PaymentsHttpService
  it('attach() authorizes your own Axios instance, and the function it returns detaches it again', async () => {
    fixture = await startStatic();
    const instance = axios.create({ httpAgent: agent });
    const detach = fixture.app.get(PaymentsAuthAxiosInterceptor).attach(instance);
    const ledgers = () => runWithTenant('core', () => instance.get(`http://localhost:${port}/api/ledgers`));
    await ledgers();
    detach();
    await ledgers();
    expect(keysSeen()).toEqual([
      ['/api/ledgers', DEFAULT_BLNK_CORE_KEY],
      ['/api/ledgers', null],
    ]);
  });

  // README § Calling the provider APIs: PaymentsHttpService
  it('the module option http sets the defaults of the owned instance', async () => {
    fixture = await startStatic({ httpAgent: agent, headers: { 'X-Deployment': 'eu-1' }, timeout: 1234 });
    await get(`http://localhost:${port}/api/ledgers`, 'core');
    expect(echo.requests[0].headers).toMatchObject({ 'x-deployment': 'eu-1', 'x-blnk-key': DEFAULT_BLNK_CORE_KEY });
    expect(http().axiosRef.defaults.timeout).toBe(1234);
  });

  // README § Calling the provider APIs: PaymentsHttpService › Where credentials go
  it('sends a credential only under the base path at a segment boundary: /api covers /api and /api/x, not /apiary', async () => {
    fixture = await startStatic();
    for (const path of ['/api', '/api/ledgers', '/api/', '/apiary', '/ap', '/other/api', '/api-v2/ledgers']) {
      await get(`http://localhost:${port}${path}`, 'core');
    }
    expect(keysSeen()).toEqual([
      ['/api', DEFAULT_BLNK_CORE_KEY],
      ['/api/ledgers', DEFAULT_BLNK_CORE_KEY],
      ['/api/', DEFAULT_BLNK_CORE_KEY],
      ['/apiary', null],
      ['/ap', null],
      ['/other/api', null],
      ['/api-v2/ledgers', null],
    ]);
  });

  // README § Calling the provider APIs: PaymentsHttpService › Where credentials go
  it.each([
    ['another host', 'http://payments.example.net'],
    ['a subdomain of the provider host', 'http://api.localhost'],
    ['another loopback address', 'http://127.0.0.1'],
  ])('drops Authorization and X-Blnk-Key on a redirect to %s', async (_name, target) => {
    fixture = await startStatic();
    const landing = `${target}:${port}/api/landing`;
    await get(`http://localhost:${port}/api/redirect?to=${encodeURIComponent(landing)}`, 'core');
    await get(`http://localhost:${port}/redirect?to=${encodeURIComponent(landing)}`, 'cloud');
    const seen = echo.requests.map((request) => ({
      host: request.headers.host,
      key: request.headers['x-blnk-key'] ?? null,
      authorization: request.headers.authorization ?? null,
    }));
    const landed = { host: new URL(landing).host, key: null, authorization: null };
    expect(seen).toEqual([
      { host: `localhost:${port}`, key: DEFAULT_BLNK_CORE_KEY, authorization: null },
      landed,
      { host: `localhost:${port}`, key: null, authorization: `Bearer ${DEFAULT_BLNK_API_KEY}` },
      landed,
    ]);
  });

  // README § Calling the provider APIs: PaymentsHttpService › 401s
  it('does not replay a 401 of a static key: a new token cannot help', async () => {
    fixture = await startStatic();
    for (const [tenant, url] of [
      ['core', `http://localhost:${port}/api/unauthorized`],
      ['cloud', `http://localhost:${port}/unauthorized`],
    ]) {
      const error = await get(url, tenant);
      expect(isAxiosError(error) && error.response?.status).toBe(401);
    }
    expect(echo.requests).toHaveLength(2);
  });

  // README § Calling the provider APIs: PaymentsHttpService › Errors
  it('scrubs X-Blnk-Key, Authorization, Cookie and Proxy-Authorization from a thrown Axios error', async () => {
    fixture = await startStatic();
    const callerHeaders = { Cookie: 'session=COOKIE-VALUE-7f3a', 'Proxy-Authorization': 'Basic PROXY-VALUE-91c2' };
    const errors = [
      await get(`http://localhost:${port}/api/unauthorized`, 'core', callerHeaders),
      await get(`http://localhost:${port}/unauthorized`, 'cloud', callerHeaders),
    ];
    // The values really went out: the scrubbing is of the error, not of the request.
    expect(echo.requests.map((request) => [request.headers.cookie, request.headers['proxy-authorization']])).toEqual([
      ['session=COOKIE-VALUE-7f3a', 'Basic PROXY-VALUE-91c2'],
      ['session=COOKIE-VALUE-7f3a', 'Basic PROXY-VALUE-91c2'],
    ]);
    for (const error of errors) {
      expect(isAxiosError(error) && error.response?.status).toBe(401);
      const shown = [
        renderingsOf(error),
        JSON.stringify((error as { toJSON(): unknown }).toJSON()),
        inspect(error, { depth: Infinity }),
      ].join('\n');
      for (const secret of [DEFAULT_BLNK_CORE_KEY, DEFAULT_BLNK_API_KEY, 'COOKIE-VALUE-7f3a', 'PROXY-VALUE-91c2']) {
        expect(shown.includes(secret) ? secret : undefined).toBeUndefined();
      }
      expect(shown).toContain('[REDACTED]');
    }
  });
});

@Controller()
class TenantEchoController {
  @Get('tenant')
  tenant(): { tenant: string | null } {
    return { tenant: currentTenant() ?? null };
  }
}

describe('TenantContextMiddleware with a custom tenantHeader', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  // README § Calling the provider APIs: PaymentsHttpService › Which tenant
  // README § Security model › What is promised (tenant ids checked at every entry)
  it('reads the tenant from the configured header, not from x-tenant-id, and refuses a malformed id with 400', async () => {
    @Module({
      imports: [
        PaymentsAuthModule.forRoot({
          tenants: { acme: { blnk: { mode: 'core', apiKey: DEFAULT_BLNK_CORE_KEY, baseUrl: 'http://127.0.0.1:9' } } },
          store: new MemoryTokenStore(),
          tenantHeader: 'x-org',
        }),
      ],
      controllers: [TenantEchoController],
    })
    class HeaderApp implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        consumer.apply(TenantContextMiddleware).forRoutes(TenantEchoController);
      }
    }
    const moduleRef = await Test.createTestingModule({ imports: [HeaderApp] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/tenant`.replace('[::1]', '127.0.0.1');
    const ask = (headers: Record<string, string>) => axios.get(url, { headers, validateStatus: () => true });
    expect((await ask({ 'x-org': 'acme' })).data).toEqual({ tenant: 'acme' });
    expect((await ask({ 'x-tenant-id': 'acme' })).data).toEqual({ tenant: null });
    expect((await ask({ 'x-org': '../acme' })).status).toBe(400);
    expect((await ask({ 'x-org': 'a'.repeat(129) })).status).toBe(400);
    expect((await ask({ 'x-org': 'a'.repeat(128) })).data).toEqual({ tenant: 'a'.repeat(128) });
  });
});
