import { jest } from '@jest/globals';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { MemoryTokenStore } from '../stores/memory.store.js';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { storeKeyFor } from '../coordination/credential-fingerprint.js';
import { FakeProtocol, type FakeConfig } from './testing/fake-protocol.js';
import { recordingObservers } from './testing/recording-observers.js';
import { TimerRenewalQueue } from './testing/timer-renewal-queue.js';
import { SharedMemoryStore } from './testing/shared-memory-store.js';
import { ENGINE_TEST_SETTINGS } from './testing/engine-settings.js';
import { TokenEngine } from './token-engine.js';
import { MIN_TOKEN_CALL_INTERVAL_MS } from './token-lifetime.js';

const T0 = Date.UTC(2030, 0, 1);
const LIFETIME_MS = 60_000;
/** Lifetime 60 s, margin 10 s: a token issued at t is renewed at t + 50 s. */
const RENEW_AFTER_MS = 50_000;
const settings = ENGINE_TEST_SETTINGS;
const config: FakeConfig = { clientId: 'client-1' };
const details = { provider: 'blnk' as const, tenant: 'acme' };

/** A stall longer than one lease keep-alive period (500 ms), within the 1.5 s in which a lease may still be extended. */
const STALL_MS = 600;

describe('TokenEngine', () => {
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
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  function engineOn(store: TokenStore, protocol: FakeProtocol, scheduler?: TimerRenewalQueue): TokenEngine<FakeConfig> {
    return new TokenEngine(
      protocol,
      store,
      settings,
      { events: observers.events, metrics: observers.metrics, scheduler },
      () => config,
    );
  }

  const keyOf = (protocol: FakeProtocol) => storeKeyFor(protocol.provider, 'acme', protocol.credentialIdentity(config));
  const typesOf = () => observers.emitted.map((event) => event.type);

  // README § Blnk rotation: what is guaranteed › Stored before it is handed out
  it('a rotated refresh token is in the store before its access token is handed out', async () => {
    const protocol = new FakeProtocol('blnk', true);
    const store = new SharedMemoryStore();
    const engine = engineOn(store, protocol);
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    const write = store.compareAndSet.bind(store);
    jest.spyOn(store, 'compareAndSet').mockImplementation(async (key, value) => {
      await writeHeld;
      return write(key, value);
    });
    let handedOut: string | undefined;
    const caller = engine.getToken('acme').then((token) => (handedOut = token));
    await jest.advanceTimersByTimeAsync(100);
    expect(protocol.calls).toHaveLength(1); // the provider has answered, with a new refresh token ...
    expect(handedOut).toBeUndefined(); // ... and nothing is handed out while its write is pending
    expect(engine.cachedToken('acme')).toBeUndefined();
    releaseWrite();
    await caller;
    expect((await store.get(keyOf(protocol)))?.refreshToken).toBe('TOPSECRET-fake-refresh-1');
    expect(handedOut).toBe('TOPSECRET-fake-access-1');
  });

  // README § Faults: what is survivable › Stalled mid-refresh (a lease found lost before the call is taken again; nothing sent)
  it('a lease found lost right before the token call (a stalled holder) is taken again: the caller gets its token', async () => {
    const protocol = new FakeProtocol('blnk', true);
    const store = new SharedMemoryStore();
    const engine = engineOn(store, protocol);
    const [acquire, extend] = [store.leases.acquire.bind(store.leases), store.leases.extend.bind(store.leases)];
    // The holder stalls right after taking the lease, past one keep-alive period: its confirmation asks the store.
    jest.spyOn(store.leases, 'acquire').mockImplementationOnce(async (key, ttlMs) => {
      const owner = await acquire(key, ttlMs);
      jest.setSystemTime(Date.now() + STALL_MS);
      return owner;
    });
    jest.spyOn(store.leases, 'extend').mockResolvedValueOnce(false).mockImplementation(extend);
    const caller = engine.getToken('acme');
    await jest.advanceTimersByTimeAsync(1_000); // the coordinator's poll before it takes the lease again
    await expect(caller).resolves.toBe('TOPSECRET-fake-access-1');
    expect(protocol.calls).toHaveLength(1);
    // The lost confirmation; then the new lease, just taken, is confirmed without asking the store before the
    // call, and by the store right before the refresh token is sent.
    expect(store.leases.extend).toHaveBeenCalledTimes(2);
  });

  it('a lease lost while the token call waited for a connection sends nothing and is taken again', async () => {
    const protocol = new FakeProtocol('blnk', true);
    const store = new SharedMemoryStore();
    const engine = engineOn(store, protocol);
    const [acquire, extend] = [store.leases.acquire.bind(store.leases), store.leases.extend.bind(store.leases)];
    // Stalls after taking the lease and again after confirming it, so both confirmations ask the store: the first
    // (before the call) holds; the one once a socket is free finds the lease gone.
    jest.spyOn(store.leases, 'acquire').mockImplementationOnce(async (key, ttlMs) => {
      const owner = await acquire(key, ttlMs);
      jest.setSystemTime(Date.now() + STALL_MS);
      return owner;
    });
    jest
      .spyOn(store.leases, 'extend')
      .mockImplementationOnce(async (key, owner, ttlMs) => {
        const held = await extend(key, owner, ttlMs);
        jest.setSystemTime(Date.now() + STALL_MS);
        return held;
      })
      .mockResolvedValueOnce(false)
      .mockImplementation(extend);
    const caller = engine.getToken('acme');
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(caller).resolves.toBe('TOPSECRET-fake-access-1');
    expect(protocol.calls).toHaveLength(1);
    expect(observers.emitted.filter((event) => event.type === 'token.call_failed')).toEqual([]);
  });

  it('single flight: concurrent callers without a token share one token call', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    const release = protocol.hold();
    const callers = Array.from({ length: 10 }, () => engine.getToken('acme'));
    await jest.advanceTimersByTimeAsync(0);
    expect(protocol.calls).toHaveLength(1);
    release();
    await expect(Promise.all(callers)).resolves.toEqual(Array(10).fill('TOPSECRET-fake-access-1'));
    expect(protocol.calls).toHaveLength(1);
    expect(observers.metrics.snapshot()).toMatchObject({ waits: 10, tokensIssued: 1 });
    expect(typesOf()).toEqual(['token.acquired']);
  });

  // README § Scheduled renewal and resilience › While the current token is valid it is served
  it('serves the cached token until renewAt, then renews behind callers before it expires', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-1');
    await expect(engine.getTokenInfo('acme')).resolves.toMatchObject({
      renewAt: new Date(T0 + RENEW_AFTER_MS),
      expiresAt: new Date(T0 + LIFETIME_MS),
    });

    jest.setSystemTime(T0 + RENEW_AFTER_MS - 1);
    expect(engine.cachedToken('acme')).toBe('TOPSECRET-fake-access-1');
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-1');
    expect(protocol.calls).toHaveLength(1);

    jest.setSystemTime(T0 + RENEW_AFTER_MS);
    expect(engine.cachedToken('acme')).toBeUndefined();
    // Inside the margin the old token still works: the caller gets it at once, the renewal runs behind it.
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-1');
    await jest.advanceTimersByTimeAsync(0);
    expect(protocol.calls).toHaveLength(2);
    expect(engine.cachedToken('acme')).toBe('TOPSECRET-fake-access-2');
    expect(typesOf()).toEqual(['token.acquired', 'token.renewed']);
    expect(observers.metrics.snapshot().waits).toBe(1);
  });

  // README § Scheduled renewal and resilience › Scheduled renewal
  it('the scheduler renews at renewAt, not before, while the token is still valid', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol, queue);
    await engine.getToken('acme');
    expect(queue.scheduled).toEqual([{ tenant: 'acme', dueAt: T0 + RENEW_AFTER_MS }]);

    await jest.advanceTimersByTimeAsync(RENEW_AFTER_MS - 1);
    expect(protocol.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(protocol.calls).toHaveLength(2);
    expect(Date.now()).toBeLessThan(T0 + LIFETIME_MS);
    expect(engine.cachedToken('acme')).toBe('TOPSECRET-fake-access-2');
    expect(queue.scheduled.at(-1)).toEqual({ tenant: 'acme', dueAt: T0 + 2 * RENEW_AFTER_MS });
  });

  it('a scheduled renewal stops for a tenant nobody asked for within the idle timeout', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    await engine.getToken('acme');
    jest.setSystemTime(T0 + settings.scheduledRenewal.idleTimeoutMs + 1);
    await engine.renewScheduled('acme');
    expect(protocol.calls).toHaveLength(1);
  });

  // README § Scheduled renewal and resilience › Token calls for one tenant are at least MIN_TOKEN_CALL_INTERVAL_MS (500 ms) apart
  it('forced renewal: a new token though the cached one is fresh, one call for concurrent callers, spaced from the last call', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    await engine.getToken('acme');
    const forced = [engine.forceRenewal('acme'), engine.forceRenewal('acme'), engine.forceRenewal('acme')];
    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS - 1);
    expect(protocol.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(Promise.all(forced)).resolves.toEqual(Array(3).fill('TOPSECRET-fake-access-2'));
    expect(protocol.calls).toHaveLength(2);
    expect(engine.cachedToken('acme')).toBe('TOPSECRET-fake-access-2');
  });

  // README § Scheduled renewal and resilience › Backoff
  it('a failed token call is recorded with its event and counter, and backs off without another call', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    jest.spyOn(Math, 'random').mockReturnValue(0.5); // the backoff's jitter: half of the first 100 ms step
    const unavailable = new ProviderUnavailableError({ ...details, status: 503 }, 'HTTP 503');
    protocol.failNext(unavailable);
    await expect(engine.getToken('acme')).rejects.toBe(unavailable);
    expect(observers.metrics.snapshot().tokenCallFailures).toBe(1);
    expect(observers.emitted).toEqual([
      expect.objectContaining({
        type: 'token.call_failed',
        tenant: 'acme',
        errorCode: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE',
        status: 503,
        retryAt: expect.any(Date),
      }),
    ]);
    expect(observers.emitted[0].retryAt).toEqual(new Date(Date.now() + 50));
    expect(engine.states()).toEqual([
      { provider: 'blnk', tenant: 'acme', state: 'no-valid-token', expiresAt: undefined },
    ]);
    await expect(engine.getToken('acme')).rejects.toBe(unavailable);
    expect(protocol.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(50);
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-2');
  });

  // README § Scheduled renewal and resilience › Circuit breaker
  it('consecutive failures open the circuit; it refuses without a call, and a successful trial closes it', async () => {
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    const unavailable = () => new ProviderUnavailableError(details, 'HTTP 503');
    protocol.failNext(unavailable(), unavailable(), unavailable());
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(engine.getToken('acme')).rejects.toBeInstanceOf(ProviderUnavailableError);
      await jest.advanceTimersByTimeAsync(settings.resilience.backoffMaxMs);
    }
    expect(typesOf()).toEqual(['token.call_failed', 'token.call_failed', 'token.call_failed', 'circuit.opened']);
    expect(engine.states()[0].state).toBe('circuit-open');
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(observers.metrics.snapshot()).toMatchObject({ tokenCallFailures: 3, circuitRejections: 1 });
    expect(protocol.calls).toHaveLength(3);

    await jest.advanceTimersByTimeAsync(settings.resilience.circuitCooldownMs);
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-4');
    expect(typesOf().slice(-2)).toEqual(['circuit.closed', 'token.acquired']);
    expect(engine.states()[0].state).toBe('valid');
  });

  // README § Scheduled renewal and resilience › Re-authorization
  it('a refusal latches the tenant: no automatic call until forceRenewal, which lifts the latch', async () => {
    const protocol = new FakeProtocol('blink');
    const engine = engineOn(new MemoryTokenStore(), protocol);
    protocol.failNext(
      new ReauthorizationRequiredError(
        { ...details, provider: 'blink', status: 401, providerErrorCode: 'Unauthenticated' },
        'HTTP 401',
      ),
    );
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(typesOf()).toEqual(['token.call_failed', 'reauthorization.required']);
    expect(observers.emitted[1]).toMatchObject({
      errorCode: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
      providerErrorCode: 'Unauthenticated',
      status: 401,
    });
    expect(engine.states()[0].state).toBe('reauthorization-required');

    await jest.advanceTimersByTimeAsync(60_000); // past every backoff and latch re-check: still latched
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    await engine.renewScheduled('acme');
    expect(protocol.calls).toHaveLength(1);

    await expect(engine.forceRenewal('acme')).resolves.toBe('TOPSECRET-fake-access-2');
    expect(engine.states()[0].state).toBe('valid');
  });

  it('a refused grant is marked in the store; another process latches on it without a token call, once', async () => {
    const store = new SharedMemoryStore();
    const first = new FakeProtocol('blnk', true);
    const engineA = engineOn(store, first);
    await engineA.getToken('acme');
    first.failNext(
      new ReauthorizationRequiredError({ ...details, providerErrorCode: 'invalid_grant' }, 'invalid_grant'),
    );
    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS);
    await expect(engineA.forceRenewal('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(await store.get(keyOf(first))).toMatchObject({
      version: 2,
      expiresAt: 0,
      reauthorizationRequired: { providerErrorCode: 'invalid_grant' },
    });

    const second = new FakeProtocol('blnk', true);
    const engineB = engineOn(store, second);
    observers.emitted.length = 0;
    await expect(engineB.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    await expect(engineB.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(second.calls).toHaveLength(0);
    expect(typesOf()).toEqual(['reauthorization.required']);
  });

  it('a latched tenant takes a newer unmarked record (re-authorized by another process) from the store', async () => {
    const store = new MemoryTokenStore();
    const protocol = new FakeProtocol('blink');
    const engine = engineOn(store, protocol);
    protocol.failNext(new ReauthorizationRequiredError({ ...details, provider: 'blink', status: 401 }, 'HTTP 401'));
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    await store.set(keyOf(protocol), {
      accessToken: 'elsewhere',
      issuedAt: Date.now(),
      expiresAt: Date.now() + LIFETIME_MS,
      version: 1,
    });
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(engine.getToken('acme')).resolves.toBe('elsewhere');
    expect(protocol.calls).toHaveLength(1);
  });

  it('a code exchange queues behind a flight under way, then really runs from the newest record', async () => {
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(new MemoryTokenStore(), protocol);
    const release = protocol.hold();
    const flight = engine.getToken('acme');
    const exchange = jest.fn(async (previous: StoredToken | undefined) => ({
      accessToken: 'exchanged',
      refreshToken: 'exchanged-refresh',
      issuedAt: Date.now(),
      expiresAt: Date.now() + LIFETIME_MS,
      details: { exchangedAfterVersion: previous?.version },
    }));
    const exchanged = engine.acquireVia('acme', exchange);
    await jest.advanceTimersByTimeAsync(0);
    expect(exchange).not.toHaveBeenCalled();
    release();
    await expect(flight).resolves.toBe('TOPSECRET-fake-access-1');
    await expect(exchanged).resolves.toMatchObject({ hasRefreshToken: true, details: { exchangedAfterVersion: 1 } });
    expect(exchange).toHaveBeenCalledWith(
      expect.objectContaining({ accessToken: 'TOPSECRET-fake-access-1', version: 1 }),
    );
    expect(engine.cachedToken('acme')).toBe('exchanged');
  });

  it('a code exchange goes past a re-authorization latch and lifts it', async () => {
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(new MemoryTokenStore(), protocol);
    protocol.failNext(
      new ReauthorizationRequiredError(
        { ...details, status: 401, providerErrorCode: 'invalid_client' },
        'invalid_client',
      ),
    );
    await expect(engine.getToken('acme')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    const exchange = async () => ({
      accessToken: 'exchanged',
      refreshToken: 'exchanged-refresh',
      issuedAt: Date.now(),
      expiresAt: Date.now() + LIFETIME_MS,
    });
    await engine.acquireVia('acme', exchange);
    expect(engine.states()[0].state).toBe('valid');
    await expect(engine.getToken('acme')).resolves.toBe('exchanged');
    expect(protocol.calls).toHaveLength(1);
  });

  // README § Several instances: Redis › Distributed single flight
  it('renews under the key lease: taken before the token call, held during it, released after', async () => {
    const store = new SharedMemoryStore();
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(store, protocol);
    const release = protocol.hold();
    const token = engine.getToken('acme');
    await jest.advanceTimersByTimeAsync(0);
    expect(protocol.calls).toHaveLength(1);
    expect(store.isLeased(keyOf(protocol))).toBe(true);
    release();
    await token;
    expect(store.leaseLog).toEqual([`take ${keyOf(protocol)}`, `release ${keyOf(protocol)}`]);
    expect(store.isLeased(keyOf(protocol))).toBe(false);
  });

  it("another process waiting on the lease takes the renewer's stored token instead of calling the provider", async () => {
    const store = new SharedMemoryStore();
    const [first, second] = [new FakeProtocol('blnk', true), new FakeProtocol('blnk', true)];
    const [engineA, engineB] = [engineOn(store, first), engineOn(store, second)];
    const release = first.hold();
    const tokenA = engineA.getToken('acme');
    await jest.advanceTimersByTimeAsync(0);
    const tokenB = engineB.getToken('acme');
    await jest.advanceTimersByTimeAsync(500); // B polls while A's call is under way
    release();
    await jest.advanceTimersByTimeAsync(200);
    await expect(Promise.all([tokenA, tokenB])).resolves.toEqual([
      'TOPSECRET-fake-access-1',
      'TOPSECRET-fake-access-1',
    ]);
    expect(second.calls).toHaveLength(0);
  });

  it('a newer fresh record in the store is adopted instead of calling the provider', async () => {
    const store = new MemoryTokenStore();
    const protocol = new FakeProtocol('blnk');
    const engine = engineOn(store, protocol);
    await store.set(keyOf(protocol), {
      accessToken: 'stored',
      issuedAt: Date.now(),
      expiresAt: Date.now() + LIFETIME_MS,
      version: 4,
    });
    await expect(engine.getToken('acme')).resolves.toBe('stored');
    expect(protocol.calls).toHaveLength(0);

    // Close to its renewal, another process stored a newer one: the scheduled renewal takes it.
    jest.setSystemTime(T0 + RENEW_AFTER_MS);
    await store.set(keyOf(protocol), {
      accessToken: 'renewed-elsewhere',
      issuedAt: Date.now(),
      expiresAt: Date.now() + LIFETIME_MS,
      version: 5,
    });
    await engine.renewScheduled('acme');
    expect(protocol.calls).toHaveLength(0);
    expect(engine.cachedToken('acme')).toBe('renewed-elsewhere');
  });

  it('the record written keeps the newest version, with the refresh token the provider rotated to', async () => {
    const store = new SharedMemoryStore();
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(store, protocol);
    await engine.getToken('acme');
    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS);
    await engine.forceRenewal('acme');
    expect(protocol.calls[1].previous).toMatchObject({ refreshToken: 'TOPSECRET-fake-refresh-1', version: 1 });
    expect(await store.get(keyOf(protocol))).toMatchObject({
      accessToken: 'TOPSECRET-fake-access-2',
      refreshToken: 'TOPSECRET-fake-refresh-2',
      version: 2,
    });
    expect(typesOf()).toEqual(['token.acquired', 'refresh_token.rotated', 'token.renewed', 'refresh_token.rotated']);
  });

  // README § Services (invalidate keeps Blnk's refresh token)
  it('invalidate drops the token here and in the store, keeping the refresh token for the next call', async () => {
    const store = new SharedMemoryStore();
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(store, protocol);
    await engine.getToken('acme');
    await expect(engine.invalidate('acme', 'not-the-current-token')).resolves.toBe(false);
    await expect(engine.invalidate('acme', 'TOPSECRET-fake-access-1')).resolves.toBe(true);
    expect(engine.cachedToken('acme')).toBeUndefined();
    expect(await store.get(keyOf(protocol))).toMatchObject({
      expiresAt: 0,
      refreshToken: 'TOPSECRET-fake-refresh-1',
      version: 2,
    });
    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS);
    await expect(engine.getToken('acme')).resolves.toBe('TOPSECRET-fake-access-2');
    expect(protocol.calls[1].previous).toMatchObject({ refreshToken: 'TOPSECRET-fake-refresh-1' });
  });

  // README § Blnk rotation: what is guaranteed › Shutdown loses no rotation (drain waits for a call under way; no new refresh once shutting down)
  it('putBack writes held records to an emptied store; drain waits for a call under way and reports unlanded writes', async () => {
    const store = new SharedMemoryStore();
    const protocol = new FakeProtocol('blnk', true);
    const engine = engineOn(store, protocol);
    await engine.getToken('acme');
    await store.delete(keyOf(protocol));
    await engine.putBack();
    expect(await store.get(keyOf(protocol))).toMatchObject({ accessToken: 'TOPSECRET-fake-access-1', version: 1 });

    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS);
    const release = protocol.hold();
    const forced = engine.forceRenewal('acme');
    await jest.advanceTimersByTimeAsync(0);
    expect(protocol.calls).toHaveLength(2);
    const drained = engine.drain();
    release();
    await expect(forced).resolves.toBe('TOPSECRET-fake-access-2');
    await expect(drained).resolves.toBe(0);
    expect(engine.pendingWrites()).toBe(0);
    // Shutting down: no new rotating refresh is sent.
    await jest.advanceTimersByTimeAsync(MIN_TOKEN_CALL_INTERVAL_MS);
    await expect(engine.forceRenewal('acme')).rejects.toThrow('shutting down');
    expect(protocol.calls).toHaveLength(2);
  });
});
