import { Test, type TestingModule } from '@nestjs/testing';
import {
  BlinkTokenService,
  BlnkTokenService,
  MemoryTokenStore,
  PaymentsAuthModule,
  PaymentsHttpService,
  ProviderUnavailableError,
} from 'nestjs-payments-auth';
import { type TestSandbox, fixedTokens, startSandbox } from 'nestjs-payments-auth/testing';

/** An app's own module as a user's e2e test builds it, on the sandbox it started. */
const appOn = (sandbox: TestSandbox) =>
  Test.createTestingModule({
    imports: [PaymentsAuthModule.forRoot({ tenants: { acme: sandbox.tenant() }, store: new MemoryTokenStore() })],
  });

// README § Testing your app
// README § Testing your app › startSandbox(options?)
// README § Testing your app › fixedTokens({ blink, blnk })
describe('nestjs-payments-auth/testing', () => {
  let sandbox: TestSandbox;
  let app: TestingModule | undefined;

  beforeEach(async () => {
    sandbox = await startSandbox({ blinkTokenLifetimeSeconds: 120 });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await sandbox.close();
  });

  it('starts fake providers with credentials of their own, and an app gets tokens and calls both APIs', async () => {
    const other = await startSandbox();
    try {
      expect(other.credentials.blink.apiKey).not.toBe(sandbox.credentials.blink.apiKey);
      expect(other.credentials.blnk.clientSecret).not.toBe(sandbox.credentials.blnk.clientSecret);
    } finally {
      await other.close();
    }
    app = await appOn(sandbox).compile();
    await app.init();
    const asked = Date.now();
    const blink = await app.get(BlinkTokenService).getTokenInfo('acme');
    // issuedAt is when the request was sent, the expiry the sandbox's clock on answering: 120 s apart, plus the call.
    const lifetimeMs = blink.expiresAt.getTime() - blink.issuedAt.getTime();
    expect(lifetimeMs).toBeGreaterThanOrEqual(120_000 - 1_000); // the sandbox's expiry has whole seconds
    expect(lifetimeMs).toBeLessThanOrEqual(120_000 + (Date.now() - asked));
    const http = app.get(PaymentsHttpService).axiosRef;
    const ledgers = await http.get<{ instance_id: string }>(`${sandbox.blnk.url}/data/ledgers`, {
      paymentsAuth: { tenant: 'acme' },
    });
    expect(ledgers.data.instance_id).toBe(sandbox.credentials.blnkInstanceId);
    const intent = await http.post(
      `${sandbox.blink.url}/api/pay/v1/intents`,
      { amount: 100 },
      { paymentsAuth: { tenant: 'acme' } },
    );
    expect(intent.status).toBe(201);
    expect(sandbox.blink.counters.tokenCalls + sandbox.blnk.counters.tokenCalls).toBe(2);
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
  });

  it('fails the next token calls with a status when told to, and counts them', async () => {
    sandbox.blink.faults.inject({ kind: 'status', status: 503 }, 2);
    app = await appOn(sandbox).compile();
    await app.init();
    const blink = app.get(BlinkTokenService);
    await expect(blink.forceRenewal('acme')).rejects.toBeInstanceOf(ProviderUnavailableError);
    expect(sandbox.blink.counters.tokenCalls).toBe(1);
    expect(sandbox.blink.faults.pending()).toBe(1);
  });

  it('fixedTokens: the services and PaymentsHttpService carry fixed tokens, and no token call is made', async () => {
    const stand = fixedTokens({ blink: 'blink-test-token', blnk: 'blnk-test-token' });
    app = await appOn(sandbox)
      .overrideProvider(BlinkTokenService)
      .useValue(stand.blink)
      .overrideProvider(BlnkTokenService)
      .useValue(stand.blnk)
      .compile();
    await app.init();
    await expect(app.get(BlinkTokenService).getToken('acme')).resolves.toBe('blink-test-token');
    await expect(app.get(BlnkTokenService).getAuthHeaders('acme')).resolves.toEqual({
      Authorization: 'Bearer blnk-test-token',
    });
    const answer = await app.get(PaymentsHttpService).axiosRef.get(`${sandbox.blnk.url}/data/ledgers`, {
      paymentsAuth: { tenant: 'acme' },
      validateStatus: () => true,
    });
    expect(answer.status).toBe(401); // the sandbox saw the fixed token, which it never issued
    expect(sandbox.blink.counters.tokenCalls + sandbox.blnk.counters.tokenCalls).toBe(0);
    expect(sandbox.blnk.counters.apiUnauthorized).toBe(2); // the one replay after the 401 carried it too
    await expect(stand.blnk.completeAuthorization({}, { redirectUri: 'https://app.example/cb' })).rejects.toThrow(
      /no stand-in/,
    );
  });
});
