import { Agent } from 'node:http';
import { createConnection } from 'node:net';
import * as fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { MemoryTokenStore, PaymentsHttpService, type PaymentsRequestConfig } from 'nestjs-payments-auth';
import { EchoServer, RecordedRequest, startEchoServer } from './support/echo.server';
import { PaymentsAuthFixture } from './support/payments-auth.fixture';
import { propertyRuns } from './support/property-runs';

/** Static-key tenants (no token calls), each with its own key, on loopback hosts, two with a base path. */
const TENANTS = {
  core: { baseUrl: 'http://127.0.0.1:7001/core', header: 'x-blnk-key', value: 'core-key-1' },
  cloud: { baseUrl: 'http://localhost:7002', header: 'authorization', value: 'Bearer blnk_cloud_key_2' },
  deep: { baseUrl: 'http://127.0.0.3:7003/v1/api', header: 'authorization', value: 'Bearer blnk_deep_key_3' },
} as const;
type TenantId = keyof typeof TENANTS;

const ORIGINS = [
  'http://127.0.0.1:7001',
  'http://localhost:7002',
  'http://127.0.0.3:7003',
  'http://127.0.0.1:7002',
  'http://127.0.0.2:7001',
  'http://localhost:7001',
  'http://sub.localhost:7002',
  'http://evil.example',
];
const SEGMENTS = ['core', 'v1', 'api', 'apiary', 'corex', 'x', 'redirect', '..', '.', '%2e%2e', 'CORE', ''];

const origin = fc.constantFrom(...ORIGINS);
const path = fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }).map((segments) => `/${segments.join('/')}`);
const baseUrl = fc.constantFrom(...Object.values(TENANTS).map((tenant) => tenant.baseUrl));
/** Mostly at or below some tenant's base URL, so that both sides of the property are reached often. */
const location = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(baseUrl, path).map(([base, where]) => `${base}${where}`) },
  { weight: 1, arbitrary: fc.tuple(origin, path).map(([host, where]) => `${host}${where}`) },
);
const requestUrl = fc.oneof(
  location, // absolute
  path, // relative to baseURL
  path.map((where) => where.slice(1)), // relative without the leading slash
  fc.tuple(origin, path).map(([host, where]) => `${host.replace(/^http:/, '')}${where}`), // protocol-relative
);
/**
 * The tenant's own origin with any path: for the tenants with a base path, mostly a path outside it, the redirect
 * that only the path tells apart from a safe one. Biased toward it so that every run meets it many times.
 */
const sameOrigin = (tenant: TenantId) => path.map((where) => `${new URL(TENANTS[tenant].baseUrl).origin}${where}`);
const anyScenario = fc.constantFrom<TenantId>('core', 'cloud', 'deep').chain((tenant) =>
  fc.record({
    tenant: fc.constant(tenant),
    url: requestUrl,
    baseURL: fc.option(location, { nil: undefined }),
    allowAbsoluteUrls: fc.constantFrom(undefined, true, false),
    /** Where the echo server redirects to, when the request's path ends in /redirect. */
    redirectTo: fc.option(fc.oneof(location, sameOrigin(tenant)), { nil: undefined }),
  }),
);
/** A credentialed request under the tenant's base URL that the server redirects to the tenant's own origin. */
const sameOriginRedirect = fc.constantFrom<TenantId>('core', 'cloud', 'deep').chain((tenant) =>
  fc.record({
    tenant: fc.constant(tenant),
    url: path.map((where) => `${TENANTS[tenant].baseUrl}${where.replace(/\/$/, '')}/redirect`),
    baseURL: fc.constant(undefined),
    allowAbsoluteUrls: fc.constantFrom(undefined, true, false),
    redirectTo: sameOrigin(tenant),
  }),
);
const scenario = fc.oneof({ weight: 4, arbitrary: anyScenario }, { weight: 1, arbitrary: sameOriginRedirect });

/** Independent of the library: what the request line and Host header the server received say. */
function isUnderBase(request: RecordedRequest, baseUrl: string): boolean {
  // Concatenated, not resolved: a request path may start with '//', which is still a path.
  const seen = new URL(`http://${request.headers.host}${request.url}`);
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  return (
    seen.origin === base.origin &&
    (basePath === '' || seen.pathname === basePath || seen.pathname.startsWith(`${basePath}/`))
  );
}

function sameOriginOutsideBase(request: RecordedRequest, baseUrl: string): boolean {
  return new URL(`http://${request.headers.host}`).origin === new URL(baseUrl).origin && !isUnderBase(request, baseUrl);
}

/**
 * Property-based, over real HTTP: random request URLs, Axios baseURL / allowAbsoluteUrls combinations and
 * redirects, sent through PaymentsHttpService by the real Axios http adapter. Every connection, whatever host
 * it names, lands on one local server (a custom agent), which records what really arrived. A credential must
 * be on a request if and only if that request's origin and path are under its tenant's base URL, and, after a
 * redirect, the request it came from carried it too.
 */
// README § Security model › How it is checked
// README § Security model › What is promised
describe('credential target (property-based, real HTTP)', () => {
  let fixture: PaymentsAuthFixture;
  let recorder: EchoServer;
  let agent: Agent;

  beforeAll(async () => {
    recorder = await startEchoServer();
    const port = Number(new URL(recorder.url).port);
    agent = new Agent();
    agent.createConnection = (() =>
      createConnection({ host: '127.0.0.1', port })) as unknown as (typeof agent)['createConnection'];
    fixture = await PaymentsAuthFixture.start(() => ({
      store: new MemoryTokenStore(),
      defaultTenant: undefined,
      tenants: {
        core: { blnk: { mode: 'core', apiKey: TENANTS.core.value, baseUrl: TENANTS.core.baseUrl } },
        cloud: { blnk: { mode: 'api-key', apiKey: TENANTS.cloud.value.slice(7), baseUrl: TENANTS.cloud.baseUrl } },
        deep: { blnk: { mode: 'api-key', apiKey: TENANTS.deep.value.slice(7), baseUrl: TENANTS.deep.baseUrl } },
      },
      http: { httpAgent: agent, maxRedirects: 1 },
    }));
  });

  afterAll(async () => {
    await fixture?.close();
    agent?.destroy();
    await recorder?.close();
  });

  it('attaches a credential iff the request that arrives is under the tenant base URL', async () => {
    let requestsSeen = 0;
    let credentialsSeen = 0;
    let redirectsSeen = 0;
    let sameOriginEscapes = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ tenant, url, baseURL, allowAbsoluteUrls, redirectTo }) => {
        recorder.requests.length = 0;
        const config: PaymentsRequestConfig = {
          baseURL,
          allowAbsoluteUrls,
          paymentsAuth: { tenant },
          params: redirectTo ? { to: redirectTo } : undefined,
        };
        await firstValueFrom(fixture.app.get(PaymentsHttpService).get(url, config)).catch(() => undefined);
        const own = TENANTS[tenant];
        const [first, ...redirected] = recorder.requests;
        const firstHasIt = first !== undefined && isUnderBase(first, own.baseUrl);
        for (const request of recorder.requests) {
          requestsSeen += 1;
          // A redirect never adds a credential: one from elsewhere into the provider would make us send
          // authenticated requests wherever any server points (RFC 9700 §4.11); it only keeps or drops it.
          const expected =
            isUnderBase(request, own.baseUrl) && (request === first || firstHasIt) ? own.value : undefined;
          if (expected !== undefined) credentialsSeen += 1;
          const sent = request.headers[own.header];
          expect({ url: request.url, host: request.headers.host, sent }).toEqual({
            url: request.url,
            host: request.headers.host,
            sent: expected,
          });
          for (const other of Object.values(TENANTS)) {
            if (other !== own) expect(request.headers[other.header]).not.toBe(other.value);
          }
        }
        redirectsSeen += redirected.length;
        // A credentialed request redirected to its own origin but out of its base path: the case a check of
        // the origin alone would get wrong.
        if (firstHasIt && redirected.some((request) => sameOriginOutsideBase(request, own.baseUrl)))
          sameOriginEscapes += 1;
      }),
      propertyRuns(1_500),
    );
    // The generators really reach both sides of the property.
    expect(credentialsSeen).toBeGreaterThan(100);
    expect(requestsSeen - credentialsSeen).toBeGreaterThan(50);
    expect(redirectsSeen).toBeGreaterThan(30);
    expect(sameOriginEscapes).toBeGreaterThan(10);
  });
});
