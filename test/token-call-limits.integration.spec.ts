import { BlnkTokenService, type TenantConfig } from 'nestjs-payments-auth';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { ScriptedTokenServer, startScriptedTokenServer } from './support/scripted-token.server';

const blnkTenants = (count: number, baseUrl: string): Record<string, TenantConfig> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`t${index}`, { blnk: { clientId: `client-${index}`, clientSecret: 'TOPSECRET-limits', refreshToken: `blnk_rt_seed_${index}`, baseUrl } }]),
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

  const answering = (delayMs: number) =>
    startScriptedTokenServer(
      (_request, index) => ({ status: 200, body: { access_token: `blnk_at_${index}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `blnk_rt_next_${index}` } }),
      { delayMs },
    );

  // README § Running at scale › Token-call connections (the deadline starts when a call leaves the queue)
  it('with one socket per origin, calls queued behind others still get their whole deadline', async () => {
    scripted = await answering(400);
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: blnkTenants(3, scripted!.url),
      defaultTenant: undefined,
      tokenCallTimeoutMs: 700,
      tokenCallConnections: { maxSocketsPerOrigin: 1 },
    }));
    const blnk = fixture.app.get(BlnkTokenService);
    const started = Date.now();
    const tokens = await Promise.all(['t0', 't1', 't2'].map((tenant) => blnk.getToken(tenant)));
    expect(new Set(tokens).size).toBe(3);
    // One at a time: the last waited ~800 ms in the queue, longer than the 700 ms deadline of its own call.
    expect(scripted.inFlight().peak).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
  });

  // README § Running at scale › Token-call connections (idle sockets close after 4 s, before the server's 5 s)
  it('keeps an idle token-call socket open for reuse, and closes it after 4 s', async () => {
    scripted = await answering(0);
    fixture = await PaymentsAuthFixture.start(() => ({ tenants: blnkTenants(2, scripted!.url), defaultTenant: undefined }));
    const blnk = fixture.app.get(BlnkTokenService);
    await blnk.getToken('t0');
    await sleep(600); // the socket is back in the pool, idle
    await blnk.getToken('t1');
    expect(scripted.connections()).toMatchObject({ opened: 1, open: 1 }); // the second call reused the socket
    await sleep(2_000);
    expect(scripted.connections().open).toBe(1);
    await sleep(2_000); // about 4.6 s after its last use; the server itself would keep it 5 s
    expect(scripted.connections()).toMatchObject({ opened: 1, open: 0 });
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
    expect(Date.now() - started).toBeLessThan(900); // capped at 1 a second, the 20th would start after 19 s
  });
});
