import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { RetryGate } from './retry-gate.js';

const details = { provider: 'blink' as const, tenant: 'acme' };
const options = { backoffBaseMs: 100, backoffMaxMs: 1_000, circuitFailureThreshold: 3, circuitCooldownMs: 5_000 };
const unavailable = new ProviderUnavailableError(details, 'HTTP 503');

// README § Scheduled renewal and resilience › Backoff
describe('RetryGate', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const gate = new RetryGate({ ...options, circuitFailureThreshold: 99 }, () => 0.999);
    const delays = Array.from({ length: 6 }, () => {
      gate.failed(unavailable, 0);
      return gate.retryAt;
    });
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    expect(gate.blocked(500, details)).toBe(unavailable);
    expect(gate.blocked(1_000, details)).toBeUndefined();
  });

  it('never retries before a 429 Retry-After', () => {
    const gate = new RetryGate(options, () => 0);
    gate.failed(new RateLimitedError(details, 7_000), 1_000);
    expect(gate.retryAt).toBe(8_000);
  });

  it('opens after the threshold, refuses fast, lets one trial through after the cooldown, closes on success', () => {
    const gate = new RetryGate(options, () => 0);
    expect([gate.failed(unavailable, 0), gate.failed(unavailable, 0), gate.failed(unavailable, 0)]).toEqual([
      undefined,
      undefined,
      'opened',
    ]);
    expect(gate.blocked(4_999, details)).toBeInstanceOf(CircuitOpenError);
    expect((gate.blocked(1_000, details) as CircuitOpenError).retryAfterMs).toBe(4_000);
    expect(gate.blocked(5_000, details)).toBeUndefined();
    expect(gate.failed(unavailable, 5_000)).toBeUndefined(); // still open: no second 'opened'
    expect(gate.blocked(9_999, details)).toBeInstanceOf(CircuitOpenError);
    expect(gate.succeeded()).toBe('closed');
    expect(gate.blocked(0, details)).toBeUndefined();
    expect(gate.succeeded()).toBeUndefined();
  });

  it('is open from the threshold until a success, and a backoff never blocks before the first failure', () => {
    const gate = new RetryGate(options, () => 0.5);
    expect(gate.blocked(0, details)).toBeUndefined();
    expect(gate.isOpen).toBe(false);
    gate.failed(unavailable, 0);
    expect(gate.blocked(49, details)).toBe(unavailable); // backoff: 0.5 × 100 ms
    expect(gate.blocked(50, details)).toBeUndefined();
    gate.failed(unavailable, 50);
    expect(gate.isOpen).toBe(false);
    gate.failed(unavailable, 200);
    expect(gate.isOpen).toBe(true);
    expect(gate.succeeded()).toBe('closed');
    expect(gate.isOpen).toBe(false);
    expect(gate.blocked(200, details)).toBeUndefined();
  });
});
