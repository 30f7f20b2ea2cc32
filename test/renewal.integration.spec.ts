import { SchedulerRegistry } from '@nestjs/schedule';
import {
  CircuitOpenError,
  PaymentsAuthEvent,
  PaymentsAuthEvents,
  PaymentsAuthMetrics,
  PaymentsAuthModuleOptions,
  RENEWAL_TIMER_NAME,
} from 'nestjs-payments-auth';
// Internal (not exported): how many renewals the scheduler holds, and on how many timers.
import { RenewalScheduler } from '../libs/payments-auth/src/renewal/renewal-scheduler';
import { PaymentsAuthHealthIndicator } from 'nestjs-payments-auth/terminus';
import { TerminusModule } from '@nestjs/terminus';
import { DEFAULT_BLINK_ACCOUNT, Sandbox } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant, sleep } from './support/payments-auth.fixture';

/** Calls `call` every `intervalMs` for `durationMs`; records latencies and errors. Bounded. */
async function steadyLoad(call: () => Promise<string>, durationMs: number, intervalMs = 20) {
  const latencies: number[] = [];
  const errors: string[] = [];
  const until = Date.now() + durationMs;
  for (let round = 0; round < Math.ceil(durationMs / intervalMs) + 1 && Date.now() < until; round += 1) {
    const started = performance.now();
    await call().catch((error: unknown) => errors.push(String(error)));
    latencies.push(performance.now() - started);
    await sleep(intervalMs);
  }
  return { calls: latencies.length, maxLatencyMs: Math.max(...latencies), errors };
}

const twoTenants = (sandbox: Sandbox): Partial<PaymentsAuthModuleOptions> => ({
  tenants: {
    acme: acmeTenant(sandbox),
    broken: {
      blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: 'TOPSECRET-wrong', baseUrl: sandbox.blink.url },
    },
    // Nothing listens on port 9 of loopback (discard service): connection refused, every time.
    down: {
      blink: {
        apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
        secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
        baseUrl: 'http://127.0.0.1:9',
      },
    },
  },
});

// README § Scheduled renewal and resilience
describe('scheduled renewal and resilience', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  const metrics = () => fixture.app.get(PaymentsAuthMetrics);

  // README § Scheduled renewal and resilience › Scheduled renewal
  it('after warm-up, no request waits on a token and none fails over 3 lifetimes', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), {
      blink: { tokenLifetimeSeconds: 3 },
      blnk: { tokenLifetimeSeconds: 3 },
    });
    await Promise.all([fixture.blink.getToken('acme'), fixture.blnk.getToken('acme')]);
    const waitsAfterWarmUp = metrics().snapshot().waits;

    const [blink, blnk] = await Promise.all([
      steadyLoad(() => fixture.blink.getToken('acme'), 9_500),
      steadyLoad(() => fixture.blnk.getToken('acme'), 9_500),
    ]);
    expect(metrics().snapshot().waits - waitsAfterWarmUp).toBe(0);
    expect([...blink.errors, ...blnk.errors]).toEqual([]);
    // Renewal at half the lifetime: Blnk's 3 s tokens every ~1.5 s; Blink's `exp` has whole-second precision,
    // so its tokens live 2-3 s and renew every 1-1.5 s. Either way a bounded number, not one per request.
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBeGreaterThanOrEqual(5);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBeLessThanOrEqual(9);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeGreaterThanOrEqual(5);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeLessThanOrEqual(12);
    expect(fixture.sandbox.blnk.counters.invalidGrant).toBe(0);

    // Without any caller the schedule alone renews: over a lifetime of idleness the tokens are renewed, and the
    // next callers wait for nothing (load cannot be what renewed them).
    const [blinkCalls, blnkCalls] = [
      fixture.sandbox.blink.counters.tokenCalls,
      fixture.sandbox.blnk.counters.tokenCalls,
    ];
    await sleep(3_500);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeGreaterThan(blinkCalls);
    expect(fixture.sandbox.blnk.counters.tokenCalls).toBeGreaterThan(blnkCalls);
    const waitsBefore = metrics().snapshot().waits;
    await Promise.all([fixture.blink.getToken('acme'), fixture.blnk.getToken('acme')]);
    expect(metrics().snapshot().waits).toBe(waitsBefore);
  });

  it('registers one timer in SchedulerRegistry for all tenants', async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`t${index}`, acmeTenant(sandbox)])),
      defaultTenant: undefined,
    }));
    await Promise.all(Array.from({ length: 50 }, (_, index) => fixture.blink.getToken(`t${index}`)));
    expect(fixture.app.get(RenewalScheduler).stats()).toMatchObject({ scheduled: 50, timers: 1 });
    expect(fixture.app.get(SchedulerRegistry).getTimeouts()).toEqual([RENEWAL_TIMER_NAME]);
    // A forced renewal replaces the tenant's scheduled renewal rather than adding a second one.
    await fixture.blink.forceRenewal('t0');
    expect(fixture.app.get(RenewalScheduler).stats()).toMatchObject({ scheduled: 50, timers: 1 });
  });

  it('a renewal backlog beyond maxConcurrentRenewals drains before the tokens expire', async () => {
    const tenantCount = 30;
    fixture = await PaymentsAuthFixture.start(
      (sandbox) => ({
        tenants: Object.fromEntries(
          Array.from({ length: tenantCount }, (_, index) => [`t${index}`, acmeTenant(sandbox)]),
        ),
        defaultTenant: undefined,
        scheduledRenewal: { maxConcurrentRenewals: 3 },
      }),
      { blink: { tokenLifetimeSeconds: 6 } },
    );
    const tenants = Array.from({ length: tenantCount }, (_, index) => `t${index}`);
    await Promise.all(tenants.map((tenant) => fixture.blink.getToken(tenant)));
    // Every renewal takes 50 ms, so the 30 due together queue behind 3 slots: ~0.5 s to drain. A renewal that
    // finishes schedules its tenant's next one; that must not push the waiting backlog back to that later time.
    fixture.sandbox.blink.faults.inject({ kind: 'delay', ms: 50 }, Infinity);
    const issuedAfterWarmUp = metrics().snapshot().tokensIssued;
    const waitsAfterWarmUp = metrics().snapshot().waits;
    // Tokens live 5-6 s and renew from half-life minus jitter; by 5 s every tenant has renewed once.
    await sleep(5_000);
    expect(metrics().snapshot().tokensIssued - issuedAfterWarmUp).toBeGreaterThanOrEqual(tenantCount);
    await Promise.all(tenants.map((tenant) => fixture.blink.getToken(tenant)));
    expect(metrics().snapshot().waits - waitsAfterWarmUp).toBe(0);
  });

  // Lifetimes are 6 s: Blink's `exp` has whole-second precision, so a token lives 5-6 s; renewal is due at half.
  // README § Scheduled renewal and resilience › Backoff
  it('respects Retry-After during a 429 storm and fails no request while the token is valid', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), { blink: { tokenLifetimeSeconds: 6 } });
    await fixture.blink.getToken('acme');
    const waitsBefore = metrics().snapshot().waits;
    const events: PaymentsAuthEvent[] = [];
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));
    fixture.sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '1' }, Infinity);
    // Until 5.2 s: a second 429 just before the storm ends puts the next attempt ~1 s later (up to ~4.6 s),
    // and that attempt must have succeeded when the counters are read.
    const load = steadyLoad(() => fixture.blink.getToken('acme'), 5_200);
    await sleep(3_600);
    const stormCalls = fixture.sandbox.blink.counters.tokenCalls - 1;
    fixture.sandbox.blink.faults.clear();
    const result = await load;
    expect(result.errors).toEqual([]);
    expect(metrics().snapshot().waits - waitsBefore).toBe(0);
    expect(stormCalls).toBeGreaterThanOrEqual(1);
    expect(fixture.sandbox.blink.counters.tokenIssued).toBe(2); // recovered before expiry
    // Retry-After respected, by order rather than by counting calls in a window: each 429 puts the next attempt
    // at least 1 s later, and no attempt starts before the time the previous failure gave.
    const calls = events.filter((event) => event.type === 'token.call_failed' || event.type === 'token.renewed');
    expect(calls.map((event) => event.type).slice(-1)).toEqual(['token.renewed']);
    const startOf = (event: PaymentsAuthEvent) => event.at.getTime() - (event.durationMs ?? 0);
    for (const [index, failure] of calls.slice(0, -1).entries()) {
      expect(failure.retryAt!.getTime() - failure.at.getTime()).toBeGreaterThanOrEqual(990);
      expect(startOf(calls[index + 1])).toBeGreaterThanOrEqual(failure.retryAt!.getTime());
    }
  });

  // README § Scheduled renewal and resilience › While the current token is valid it is served
  it('a 5xx storm fails no request and makes none wait while a token is valid', async () => {
    // A short cooldown: the default 30 s would outlast these 6 s tokens once the storm opens the circuit.
    fixture = await PaymentsAuthFixture.start(() => ({ resilience: { backoffMaxMs: 300, circuitCooldownMs: 300 } }), {
      blink: { tokenLifetimeSeconds: 6 },
    });
    await fixture.blink.getToken('acme');
    const waitsBefore = metrics().snapshot().waits;
    fixture.sandbox.blink.faults.inject({ kind: 'status', status: 503 }, Infinity);
    // Until 5.2 s: a second 429 just before the storm ends puts the next attempt ~1 s later (up to ~4.6 s),
    // and that attempt must have succeeded when the counters are read.
    const load = steadyLoad(() => fixture.blink.getToken('acme'), 5_200);
    await sleep(3_500);
    fixture.sandbox.blink.faults.clear();
    const result = await load;
    expect(result.errors).toEqual([]);
    expect(metrics().snapshot().waits - waitsBefore).toBe(0);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBeGreaterThan(2); // the storm was really hit
    expect(fixture.sandbox.blink.counters.tokenIssued).toBe(2);
  });

  it('a slow token endpoint makes no request wait while a token is valid', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), { blink: { tokenLifetimeSeconds: 6 } });
    await fixture.blink.getToken('acme');
    const waitsBefore = metrics().snapshot().waits;
    fixture.sandbox.blink.faults.inject({ kind: 'delay', ms: 1_500 }, Infinity);
    const result = await steadyLoad(() => fixture.blink.getToken('acme'), 4_500);
    expect(result.errors).toEqual([]);
    expect(metrics().snapshot().waits - waitsBefore).toBe(0);
    expect(fixture.sandbox.blink.counters.tokenIssued).toBe(2);
  });

  it("one tenant's broken credentials or dead endpoint do not delay another", async () => {
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      ...twoTenants(sandbox),
      defaultTenant: undefined,
      resilience: { backoffBaseMs: 1 },
    }));
    await fixture.blink.getToken('acme');
    const [healthy] = await Promise.all([
      steadyLoad(() => fixture.blink.getToken('acme'), 1_500, 5),
      steadyLoad(() => fixture.blink.getToken('broken'), 1_500, 5),
      steadyLoad(() => fixture.blink.getToken('down'), 1_500, 5),
    ]);
    expect(healthy.errors).toEqual([]);
    // Far below a token call's timeout: the healthy tenant never queued behind the others' calls.
    expect(healthy.maxLatencyMs).toBeLessThan(500);
    // broken: 1 call, then re-authorization required without calls; down: the circuit opened after 5.
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
    await expect(fixture.blink.getToken('down')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(metrics().snapshot().circuitRejections).toBeGreaterThan(0);
    expect(metrics().snapshot().tokenCallFailures).toBe(6);
  });

  // README § Scheduled renewal and resilience › Circuit breaker
  it('opens and closes the circuit, with events that carry no credential, and reports health (terminus entry)', async () => {
    fixture = await PaymentsAuthFixture.start(
      () => ({ resilience: { backoffBaseMs: 1, circuitFailureThreshold: 3, circuitCooldownMs: 500 } }),
      {},
      { imports: [TerminusModule], providers: [PaymentsAuthHealthIndicator] },
    );
    const events: PaymentsAuthEvent[] = [];
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => events.push(event));
    const health = fixture.app.get(PaymentsAuthHealthIndicator);
    fixture.sandbox.blink.faults.inject({ kind: 'status', status: 503 }, Infinity);
    // Backoff is ~0-4 ms here; keep asking until the third failure opens the circuit.
    for (let attempt = 0; attempt < 100 && fixture.sandbox.blink.counters.tokenCalls < 3; attempt += 1) {
      await fixture.blink.getToken('acme').catch(() => undefined);
      await sleep(5);
    }
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expect(fixture.blink.getToken('acme')).rejects.toBeInstanceOf(CircuitOpenError);
    }
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(3);
    expect(health.isHealthy('payments-auth')['payments-auth']).toMatchObject({
      status: 'down',
      tenants: [{ provider: 'blink', tenant: 'acme', state: 'circuit-open' }],
    });

    fixture.sandbox.blink.faults.clear();
    await sleep(600);
    const token = await fixture.blink.getToken('acme');
    expect(events.map((event) => event.type)).toEqual([
      'token.call_failed',
      'token.call_failed',
      'token.call_failed',
      'circuit.opened',
      'circuit.closed',
      'token.acquired',
    ]);
    expect(events[0]).toMatchObject({
      provider: 'blink',
      tenant: 'acme',
      status: 503,
      errorCode: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE',
    });
    expect(JSON.stringify(events)).not.toContain(token);
    expect(health.isHealthy('payments-auth')['payments-auth']).toMatchObject({
      status: 'up',
      tenants: [{ state: 'valid' }],
    });
    expect(JSON.stringify(health.isHealthy('payments-auth'))).not.toContain(token);
  });

  // README § Scheduled renewal and resilience › Events
  it('emits rotation events for Blnk (re-authorization events: operations.integration.spec.ts)', async () => {
    fixture = await PaymentsAuthFixture.start();
    const types: string[] = [];
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => types.push(event.type));
    await fixture.blnk.getToken('acme');
    await fixture.blnk.forceRenewal('acme');
    expect(types).toEqual(['token.acquired', 'refresh_token.rotated', 'token.renewed', 'refresh_token.rotated']);
  });

  it('stops renewing a tenant that has gone idle while an active one keeps renewing', async () => {
    fixture = await PaymentsAuthFixture.start(
      (sandbox) => ({
        tenants: { idle: acmeTenant(sandbox), busy: acmeTenant(sandbox) },
        defaultTenant: undefined,
        scheduledRenewal: { idleTimeoutMs: 1_000 },
      }),
      { blink: { tokenLifetimeSeconds: 2 } },
    );
    const renewals = { idle: 0, busy: 0 };
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => {
      if (event.type === 'token.renewed') renewals[event.tenant as 'idle' | 'busy'] += 1;
    });
    await fixture.blink.getToken('idle');
    const busy = await steadyLoad(() => fixture.blink.getToken('busy'), 5_000, 100);
    expect(busy.errors).toEqual([]);
    // idle: at most one renewal before it crossed the 1 s idle limit, then none; busy: renewed all along.
    expect(renewals.idle).toBeLessThanOrEqual(1);
    expect(renewals.busy).toBeGreaterThanOrEqual(3);
    const idleInfo = await fixture.blink.getTokenInfo('idle').catch(() => undefined);
    expect(idleInfo).toBeDefined(); // a fresh token is fetched on demand when it comes back
  });

  // README § Scheduled renewal and resilience › Shutdown
  it('shutdown waits for a renewal in flight and starts none afterwards', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), { blink: { tokenLifetimeSeconds: 2 } });
    await fixture.blink.getToken('acme');
    fixture.sandbox.blink.faults.inject({ kind: 'delay', ms: 800 }, Infinity);
    // The scheduled renewal starts at ~0.8-1 s; wait until it is in flight.
    for (let poll = 0; poll < 100 && fixture.sandbox.blink.counters.tokenCalls < 2; poll += 1) await sleep(20);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(2);
    const closing = Date.now();
    await fixture.app.close();
    expect(Date.now() - closing).toBeGreaterThanOrEqual(300); // it awaited the renewal rather than abandoning it
    const callsAtShutdown = fixture.sandbox.blink.counters.tokenCalls;
    await sleep(2_500);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(callsAtShutdown);
    await fixture.sandbox.close();
    fixture = undefined as unknown as PaymentsAuthFixture;
  });

  it('reactive-only mode schedules nothing', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({ scheduledRenewal: { enabled: false } }), {
      blink: { tokenLifetimeSeconds: 2 },
    });
    await fixture.blink.getToken('acme');
    expect(fixture.app.get(RenewalScheduler).stats()).toMatchObject({ scheduled: 0, timers: 0 });
    await sleep(2_200);
    expect(fixture.sandbox.blink.counters.tokenCalls).toBe(1);
  });
});
