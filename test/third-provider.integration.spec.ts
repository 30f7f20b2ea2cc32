import { Test, type TestingModule } from '@nestjs/testing';
import {
  MemoryTokenStore,
  PaymentsAuthConfigError,
  PaymentsAuthModule,
  PaymentsAuthStatus,
  PaymentsHttpService,
} from 'nestjs-payments-auth';
import { PROVIDERS } from '../libs/payments-auth/src/providers/provider-list';
import type { ProviderDefinition } from '../libs/payments-auth/src/providers/provider-definition';
import { ACMEPAY, AcmePayTokenService } from './third-provider/acmepay';
import { type AcmePayServer, startAcmePay } from './third-provider/acmepay.server';

const KEY_ID = 'acme-key-1';
const SECRET = 'TOPSECRET-acmepay-secret';

/**
 * A provider defined in test/third-provider only, added to the library's provider list as its one entry: it
 * gets config validation, tokens, the interceptor's header (and 401 replay) and status rows with no library
 * file changed. The list is internal; see providers/provider-list.ts for why there is no public registration.
 */
// README § Layout
describe('a third provider, added as one entry of the provider list', () => {
  let acme: AcmePayServer;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    PROVIDERS.push(ACMEPAY as ProviderDefinition);
    acme = await startAcmePay(KEY_ID, SECRET);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    PROVIDERS.splice(PROVIDERS.indexOf(ACMEPAY as ProviderDefinition), 1);
    await acme.close();
  });

  const start = async (tenants: Record<string, unknown>) => {
    app = await Test.createTestingModule({
      imports: [
        PaymentsAuthModule.forRoot({
          store: new MemoryTokenStore(),
          tenants: tenants as never,
          scheduledRenewal: { enabled: false },
        }),
      ],
    }).compile();
    await app.init();
    return app;
  };

  it('validates its configuration at bootstrap, naming each field, and names it among the providers', async () => {
    const failure = await start({
      t1: { acmepay: { keyId: KEY_ID, baseUrl: acme.baseUrl } },
      t2: { acmepai: {} },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentsAuthConfigError);
    const issues = (failure as PaymentsAuthConfigError).issues;
    expect(issues).toContainEqual({ path: 'tenants.t1.acmepay.secret', problem: 'must be a non-empty string' });
    expect(issues).toContainEqual({
      path: 'tenants.t2.acmepai',
      problem: 'is not a known option (expected blink and/or blnk and/or acmepay)',
    });
  });

  it('gets a token through its own protocol, cached for the next caller', async () => {
    const started = await start({ t1: { acmepay: { keyId: KEY_ID, secret: SECRET, baseUrl: acme.baseUrl } } });
    const service = started.get(AcmePayTokenService);
    const calls = acme.tokenCalls;
    const token = await service.getToken('t1');
    expect(acme.live.has(token)).toBe(true);
    await expect(service.getToken('t1')).resolves.toBe(token);
    expect(acme.tokenCalls - calls).toBe(1);
  });

  it('has the interceptor put its token in its own header, only under its base URL, and replay a 401 with a new one', async () => {
    const started = await start({ t1: { acmepay: { keyId: KEY_ID, secret: SECRET, baseUrl: acme.baseUrl } } });
    const http = started.get(PaymentsHttpService);
    const first = await http.axiosRef.get(`${acme.baseUrl}/v1/balance`, { paymentsAuth: { tenant: 't1' } });
    expect(first.data).toEqual({ balance: 42 });
    const sent = acme.apiRequests.at(-1);
    expect(sent?.token).toMatch(/^acme-token-/);
    expect(sent?.authorization).toBeUndefined(); // not routed to another provider's header
    acme.live.clear(); // the token is revoked early: the next request gets a 401
    const replayed = await http.axiosRef.get(`${acme.baseUrl}/v1/balance`, { paymentsAuth: { tenant: 't1' } });
    expect(replayed.status).toBe(200);
    expect(acme.apiRequests.at(-1)?.token).not.toBe(sent?.token);
  });

  it('reports its tenants in the status rows', async () => {
    const started = await start({ t1: { acmepay: { keyId: KEY_ID, secret: SECRET, baseUrl: acme.baseUrl } } });
    await started.get(AcmePayTokenService).getToken('t1');
    const report = started.get(PaymentsAuthStatus).report();
    expect(report.tenants).toEqual([expect.objectContaining({ provider: 'acmepay', tenant: 't1', state: 'valid' })]);
    expect(report.healthy).toBe(true);
  });
});
