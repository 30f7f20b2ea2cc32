import { jest } from '@jest/globals';
import { MemoryTokenStore } from '../stores/memory.store.js';
import { FakeProtocol, type FakeConfig } from './testing/fake-protocol.js';
import { recordingObservers } from './testing/recording-observers.js';
import { TimerRenewalQueue } from './testing/timer-renewal-queue.js';
import { TokenEngine, type TokenEngineSettings } from './token-engine.js';
import { MIN_TOKEN_CALL_INTERVAL_MS } from './token-lifetime.js';

const T0 = Date.UTC(2030, 0, 1);
/** Lifetime 60 s, margin 10 s: a token issued at t is due for renewal at t + 50 s. */
const RENEW_AFTER_MS = 50_000;
const TENANTS = 400;
const config: FakeConfig = { clientId: 'client-1' };
const settingsWith = (spreadFirstRenewal: boolean, jitterMs = 0): TokenEngineSettings => ({
  tokenCallTimeoutMs: 1_000,
  renewalMarginMs: 10_000,
  renewalMarginMaxRatio: 0.5,
  scheduledRenewal: {
    enabled: true,
    idleTimeoutMs: 30 * 60_000,
    jitterMs,
    spreadFirstRenewal,
    maxConcurrentRenewals: 1_000,
  },
  resilience: { backoffBaseMs: 100, backoffMaxMs: 1_000, circuitFailureThreshold: 3, circuitCooldownMs: 5_000 },
});
const tenants = Array.from({ length: TENANTS }, (_, index) => `t${index}`);

/** How many of `times` fall in each of `bins` equal parts of [from, to). */
function histogram(times: number[], from: number, to: number, bins: number): number[] {
  const counts = Array<number>(bins).fill(0);
  for (const time of times) counts[Math.min(bins - 1, Math.floor(((time - from) / (to - from)) * bins))] += 1;
  return counts;
}

// README § Running at scale › Renewals spread over the lifetime
describe('spreading renewals of tokens obtained in a burst', () => {
  let observers: ReturnType<typeof recordingObservers>;
  let queue: TimerRenewalQueue;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
    observers = recordingObservers();
    queue = new TimerRenewalQueue();
  });

  afterEach(() => {
    queue.stop();
    observers.close();
    jest.useRealTimers();
  });

  const engineWith = (settings: TokenEngineSettings, store = new MemoryTokenStore()) =>
    new TokenEngine(
      new FakeProtocol('blnk'),
      store,
      settings,
      { events: observers.events, metrics: observers.metrics, scheduler: queue },
      () => config,
    );
  const dueTimes = () => queue.scheduled.map((job) => job.dueAt);

  it("first renewals of a cold burst are spread over the whole window; later ones keep each tenant's phase", async () => {
    const engine = engineWith(settingsWith(true));
    await Promise.all(tenants.map((tenant) => engine.getToken(tenant)));
    const first = dueTimes();
    expect(Math.min(...first)).toBeGreaterThanOrEqual(T0);
    expect(Math.max(...first)).toBeLessThanOrEqual(T0 + RENEW_AFTER_MS);
    // Uniform over the window: each fifth holds about 80 of 400 (a burst would put all 400 in the last one).
    for (const count of histogram(first, T0, T0 + RENEW_AFTER_MS, 5)) expect(count).toBeGreaterThan(40);

    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS);
    const byTenant = new Map<string, number[]>();
    for (const job of queue.scheduled) byTenant.set(job.tenant, [...(byTenant.get(job.tenant) ?? []), job.dueAt]);
    // A renewal keeps the phase: the next one is a renewal interval later (later by the token-call spacing at
    // most, for a tenant whose spread renewal fell within 500 ms of its first call).
    for (const [, [spreadDue, next]] of byTenant) {
      expect(next - spreadDue).toBeGreaterThanOrEqual(RENEW_AFTER_MS);
      expect(next - spreadDue).toBeLessThanOrEqual(RENEW_AFTER_MS + MIN_TOKEN_CALL_INTERVAL_MS);
    }
    expect(queue.scheduled).toHaveLength(2 * TENANTS);
  });

  it('with spreadFirstRenewal off, the burst renews as a burst (jitter only)', async () => {
    const engine = engineWith(settingsWith(false, 2_000));
    await Promise.all(tenants.map((tenant) => engine.getToken(tenant)));
    for (const dueAt of dueTimes()) {
      expect(dueAt).toBeGreaterThanOrEqual(T0 + RENEW_AFTER_MS - 2_000);
      expect(dueAt).toBeLessThanOrEqual(T0 + RENEW_AFTER_MS);
    }
  });

  // README § Scheduled renewal and resilience › Scheduled renewal
  it('jitter spreads renewals over up to jitterMs before the renewal point, and never over more than 10% of the lifetime', async () => {
    // 30 s of jitter asked for, on 60 s tokens: capped at 6 s.
    const engine = engineWith(settingsWith(false, 30_000));
    await Promise.all(tenants.map((tenant) => engine.getToken(tenant)));
    const due = dueTimes();
    expect(Math.min(...due)).toBeGreaterThanOrEqual(T0 + RENEW_AFTER_MS - 6_000);
    expect(Math.max(...due)).toBeLessThanOrEqual(T0 + RENEW_AFTER_MS);
    // Spread over the whole capped window, not bunched: each of its three parts holds some of the 400.
    for (const count of histogram(due, T0 + RENEW_AFTER_MS - 6_000, T0 + RENEW_AFTER_MS, 3))
      expect(count).toBeGreaterThan(80);
  });

  it('tokens taken over from the store (a restart) are not spread again: they keep their phase', async () => {
    const store = new MemoryTokenStore();
    const before = engineWith(settingsWith(true), store);
    await Promise.all(tenants.map((tenant) => before.getToken(tenant)));
    queue.stop();
    queue = new TimerRenewalQueue();
    const after = engineWith(settingsWith(true), store);
    await Promise.all(tenants.map((tenant) => after.getToken(tenant)));
    expect(new Set(dueTimes())).toEqual(new Set([T0 + RENEW_AFTER_MS]));
  });
});
