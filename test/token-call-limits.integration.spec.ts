import { BlnkTokenService, type TenantConfig } from 'nestjs-payments-auth';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { ScriptedTokenServer, startScriptedTokenServer } from './support/scripted-token.server';

const blnkTenants = (count: number, baseUrl: string): Record<string, TenantConfig> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `t${index}`,
      {
        blnk: {
          clientId: `client-${index}`,
          clientSecret: 'TOPSECRET-limits',
          refreshToken: `blnk_rt_limits_seed_${index}`,
          baseUrl,
        },
      },
    ]),
  );

/** The knobs between callers and the token endpoint: the connection queue's deadline, and the renewal rate cap. */
// README § Running at scale
describe('token calls under the connection and rate limits', () => {
  let fixture: PaymentsAuthFixture | undefined;
  let scripted: ScriptedTokenServer | undefined;

  afterEach(async () => {
    await fixture?.close();
    await scripted?.close();
    fixture = scripted = undefined;
  });

  // Token values long enough for the suite's leak scan to recognise them (blnk_at_ and 6 characters or more).
  const answering = (delayMs: number, keepAliveTimeoutMs?: number) =>
    startScriptedTokenServer(
      (_request, index) => ({
        status: 200,
        body: {
          access_token: `blnk_at_limits_${index}`,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: `blnk_rt_limits_${index}`,
        },
      }),
      { delayMs, keepAliveTimeoutMs },
    );

  // README § Running at scale › Token-call connections (the deadline starts when a call leaves the queue)
  it('with one socket per origin, calls queued behind others still get their whole deadline', async () => {
    scripted = await answering(400);
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: blnkTenants(4, scripted!.url),
      defaultTenant: undefined,
      tokenCallTimeoutMs: 1_000,
      tokenCallConnections: { maxSocketsPerOrigin: 1 },
    }));
    const blnk = fixture.app.get(BlnkTokenService);
    const started = Date.now();
    const tokens = await Promise.all(['t0', 't1', 't2', 't3'].map((tenant) => blnk.getToken(tenant)));
    expect(new Set(tokens).size).toBe(4);
    // One at a time: the last waited ~1.2 s in the queue, longer than the 1 s deadline of its own call.
    expect(scripted.inFlight().peak).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_550);
  });

  // README § Running at scale › Token-call connections (idle sockets close after 4 s, before the server's 5 s)
  it('keeps an idle token-call socket open for reuse, and closes it after 4 s', async () => {
    // The server keeps idle connections 30 s: whoever closes this one within seconds is the client.
    scripted = await answering(0, 30_000);
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: blnkTenants(2, scripted!.url),
      defaultTenant: undefined,
    }));
    const blnk = fixture.app.get(BlnkTokenService);
    await blnk.getToken('t0');
    await sleep(600); // the socket is back in the pool, idle
    await blnk.getToken('t1');
    const lastUse = Date.now();
    expect(scripted.connections()).toMatchObject({ opened: 1, open: 1 }); // the second call reused the socket
    await sleep(3_000);
    expect(scripted.connections().open).toBe(1);
    for (let poll = 0; poll < 60 && scripted.connections().open > 0; poll += 1) await sleep(50);
    expect(scripted.connections()).toMatchObject({ opened: 1, open: 0 });
    expect(Date.now() - lastUse).toBeLessThan(6_500);
  });

  // README § Running at scale › A global rate limit at the provider (token calls a caller waits for are not capped)
  it('maxRenewalsPerSecond does not hold back the token calls callers wait for', async () => {
    scripted = await answering(20);
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: blnkTenants(20, scripted!.url),
      defaultTenant: undefined,
      scheduledRenewal: { maxRenewalsPerSecond: 1 },
    }));
    const blnk = fixture.app.get(BlnkTokenService);
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, index) => blnk.getToken(`t${index}`)));
    expect(scripted.requests).toHaveLength(20);
    // Capped at 1 a second, the 20th would start 19 s after the first: the bound is what the cap would cost.
    expect(Date.now() - started).toBeLessThan(19_000);
  });
});
