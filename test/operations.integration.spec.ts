import { TerminusModule } from '@nestjs/terminus';
import {
  PaymentsAuthEvents,
  PaymentsAuthStatus,
  type PaymentsAuthEvent,
  type TenantConfig,
} from 'nestjs-payments-auth';
import { PaymentsAuthHealthIndicator } from 'nestjs-payments-auth/terminus';
import { PaymentsAuthFixture, sleep } from './support/payments-auth.fixture';
import { ScriptedTokenServer, startScriptedTokenServer } from './support/scripted-token.server';

/** What operators see: health states, the re-authorization event, and how many renewals run at once. */
describe('operations', () => {
  let fixture: PaymentsAuthFixture | undefined;
  let scripted: ScriptedTokenServer | undefined;

  afterEach(async () => {
    await fixture?.close();
    await scripted?.close();
    fixture = scripted = undefined;
  });

  const healthOf = () =>
    (fixture as PaymentsAuthFixture).app.get(PaymentsAuthHealthIndicator).isHealthy('payments-auth')['payments-auth'];

  // README § Scheduled renewal and resilience › Health
  it('reports no-valid-token as up, and a refused grant as reauthorization-required and down', async () => {
    fixture = await PaymentsAuthFixture.start(
      () => ({ resilience: { backoffBaseMs: 1 } }),
      {},
      { imports: [TerminusModule], providers: [PaymentsAuthHealthIndicator] },
    );
    const { sandbox } = fixture;
    // One failed first token call: no token yet, no open circuit (threshold 5), nothing to re-authorize.
    sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    await expect(fixture.blink.getToken('acme')).rejects.toMatchObject({ code: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE' });
    expect(healthOf()).toMatchObject({
      status: 'up',
      tenants: [{ provider: 'blink', tenant: 'acme', state: 'no-valid-token' }],
    });
    expect(fixture.app.get(PaymentsAuthStatus).report().healthy).toBe(true);

    sandbox.blnk.faults.inject({ kind: 'status', status: 400, body: { error: 'invalid_grant' } });
    await expect(fixture.blnk.getToken('acme')).rejects.toMatchObject({
      code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
    });
    expect(healthOf()).toMatchObject({
      status: 'down',
      tenants: expect.arrayContaining([
        {
          provider: 'blnk',
          tenant: 'acme',
          state: 'reauthorization-required',
          expiresAt: undefined,
          renewAt: undefined,
        },
      ]),
    });
    expect(fixture.app.get(PaymentsAuthStatus).report().healthy).toBe(false);
  });

  // README § Scheduled renewal and resilience › Health (down while a tenant's circuit is open)
  it('reports an open circuit as circuit-open and down, and up again once a call succeeds', async () => {
    fixture = await PaymentsAuthFixture.start(
      () => ({ resilience: { backoffBaseMs: 1, circuitFailureThreshold: 2, circuitCooldownMs: 200 } }),
      {},
      { imports: [TerminusModule], providers: [PaymentsAuthHealthIndicator] },
    );
    const { sandbox } = fixture;
    sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    await expect(fixture.blink.getToken('acme')).rejects.toMatchObject({ code: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE' });
    expect(healthOf()).toMatchObject({ status: 'up' }); // one failure: below the threshold
    await sleep(10); // past the 1 ms backoff
    sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    await expect(fixture.blink.getToken('acme')).rejects.toMatchObject({ code: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE' });
    expect(healthOf()).toMatchObject({
      status: 'down',
      tenants: expect.arrayContaining([
        expect.objectContaining({ provider: 'blink', tenant: 'acme', state: 'circuit-open' }),
      ]),
    });
    expect(fixture.app.get(PaymentsAuthStatus).report().healthy).toBe(false);

    await sleep(250); // the cooldown: the next call is let through and succeeds
    await fixture.blink.getToken('acme');
    expect(healthOf()).toMatchObject({ status: 'up' });
  });

  // README § Scheduled renewal and resilience › Events
  it('emits reauthorization.required once for a refused grant, however often callers ask, without a credential', async () => {
    fixture = await PaymentsAuthFixture.start();
    const events: PaymentsAuthEvent[] = [];
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));
    fixture.sandbox.blnk.faults.inject({
      kind: 'status',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant revoked' },
    });
    for (let call = 0; call < 5; call += 1)
      await expect(fixture.blnk.getToken('acme')).rejects.toMatchObject({
        code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
      });
    const reauthorizations = events.filter((event) => event.type === 'reauthorization.required');
    expect(reauthorizations).toEqual([
      expect.objectContaining({
        provider: 'blnk',
        tenant: 'acme',
        errorCode: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
        providerErrorCode: 'invalid_grant',
      }),
    ]);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBe(1);
    expect(JSON.stringify(events)).not.toMatch(/blnk_rt_|TOPSECRET/);
  });

  // README § Scheduled renewal and resilience › Scheduled renewal
  it('runs at most maxConcurrentRenewals scheduled renewals at once, and reaches that many', async () => {
    // Each token call takes 200 ms; tokens live 4 s, so 20 tenants fall due together at about 2 s.
    scripted = await startScriptedTokenServer(
      (_request, index) => ({
        status: 200,
        body: {
          access_token: `blnk_at_capped_${index}`,
          token_type: 'Bearer',
          expires_in: 4,
          refresh_token: `blnk_rt_capped_${index}`,
        },
      }),
      { delayMs: 200 },
    );
    const tenant = (index: number): TenantConfig => ({
      blnk: {
        clientId: `client-${index}`,
        clientSecret: 'TOPSECRET-cap',
        refreshToken: `blnk_rt_capped_seed_${index}`,
        baseUrl: scripted!.url,
      },
    });
    const names = Array.from({ length: 20 }, (_, index) => `t${index}`);
    fixture = await PaymentsAuthFixture.start(() => ({
      tenants: Object.fromEntries(names.map((name, index) => [name, tenant(index)])),
      defaultTenant: undefined,
      scheduledRenewal: { maxConcurrentRenewals: 3 },
    }));
    await Promise.all(names.map((name) => fixture!.blnk.getToken(name)));
    expect(scripted.inFlight().peak).toBeGreaterThan(3); // callers' first token calls are not renewals: not capped
    scripted.resetPeak();
    // Renewals start from ~1.6 s (jitter) and take ~1.4 s to drain three at a time.
    for (let poll = 0; poll < 80 && scripted.requests.length < 40; poll += 1) await sleep(50);
    expect(scripted.requests.length).toBeGreaterThanOrEqual(40);
    expect(scripted.inFlight().peak).toBe(3);
  });
});
