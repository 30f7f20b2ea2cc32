import { jwtDecode } from 'jwt-decode';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';

// README § Services
describe('BlinkTokenService against the Blink sandbox', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  it('mints a token the sandbox accepts, and caches it', async () => {
    fixture = await PaymentsAuthFixture.start();
    const token = await fixture.blink.getToken('acme');
    expect(await fixture.blink.getToken('acme')).toBe(token);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);

    const response = await fetch(`${fixture.sandbox.blink.url}/api/pay/v1/intents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: 1000, currency: 'GBP' }),
    });
    expect(response.status).toBe(201);
  });

  it('gives headers ready to spread and says how the credential is used, for the cached token', async () => {
    fixture = await PaymentsAuthFixture.start();
    const headers = await fixture.blink.getAuthHeaders('acme');
    expect(headers).toEqual({ Authorization: `Bearer ${await fixture.blink.getToken('acme')}` });
    const response = await fetch(`${fixture.sandbox.blink.url}/api/pay/v1/intents`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: 1000, currency: 'GBP' }),
    });
    expect(response.status).toBe(201);
    expect(await fixture.blink.getCredentialInfo('acme')).toEqual({
      provider: 'blink',
      tenant: 'acme',
      mode: 'key-pair',
      managed: true,
      header: 'Authorization',
      baseUrl: fixture.sandbox.blink.url,
    });
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });

  it('reports expiry and account facts without the token', async () => {
    fixture = await PaymentsAuthFixture.start();
    const before = Date.now();
    const info = await fixture.blink.getTokenInfo('acme');
    const token = await fixture.blink.getToken('acme');
    expect(info.expiresAt.getTime()).toBe((jwtDecode(token).exp as number) * 1000);
    expect(info.expiresAt.getTime()).toBeGreaterThan(before + 29 * 60_000);
    expect(info.renewAt.getTime()).toBe(info.expiresAt.getTime() - 60_000);
    expect(info.details).toMatchObject({
      paymentTypes: ['credit-card', 'direct-debit', 'open-banking'],
      currencies: ['GBP'],
    });
    expect(JSON.stringify(info)).not.toContain(token);
  });

  // README § payments-auth › Single flight
  it('turns 1000 concurrent cold getToken calls into exactly 1 token call', async () => {
    fixture = await PaymentsAuthFixture.start();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => fixture.blink.getToken('acme')));
    expect(new Set(tokens).size).toBe(1);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });

  it('forceRenewal() forces one new token shared by concurrent callers', async () => {
    fixture = await PaymentsAuthFixture.start();
    const first = await fixture.blink.getToken('acme');
    const refreshed = await Promise.all(Array.from({ length: 20 }, () => fixture.blink.forceRenewal('acme')));
    expect(new Set(refreshed).size).toBe(1);
    expect(refreshed[0]).not.toBe(first);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
    expect(await fixture.blink.getToken('acme')).toBe(refreshed[0]);
  });

  it('invalidate(token) drops only the token it names', async () => {
    fixture = await PaymentsAuthFixture.start();
    const stale = await fixture.blink.getToken('acme');
    expect(await fixture.blink.invalidate('acme', stale)).toBe(true);
    const fresh = await fixture.blink.getToken('acme');
    expect(fresh).not.toBe(stale);
    // A late 401 handler holding the old token must not throw the new one away.
    expect(await fixture.blink.invalidate('acme', stale)).toBe(false);
    expect(await fixture.blink.getToken('acme')).toBe(fresh);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
  });

  it('caps the refresh margin for short-lived tokens: no refresh storm, no caller waiting', async () => {
    // 2 s tokens with the default 60 s margin: uncapped, every call would renew.
    fixture = await PaymentsAuthFixture.start(() => ({}), { blink: { tokenLifetimeSeconds: 2 } });
    const seen = new Set<string>();
    for (let call = 0; call < 60; call += 1) {
      seen.add(await fixture.blink.getToken('acme'));
      await sleep(50);
    }
    // ~3 s of calls; `exp` has whole seconds, so tokens live 1-2 s and renew at half that: a handful of token
    // calls (proactive renewals included), not 60.
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeGreaterThanOrEqual(2);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeLessThanOrEqual(7);
    expect(seen.size).toBeGreaterThanOrEqual(2);
  });
});
