import { CircuitOpenError } from '../errors/circuit-open.error.js';
import type { PaymentsAuthError, ProviderName } from '../errors/payments-auth.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import type { ResilienceOptions } from '../options/payments-auth-options.interface.js';
import { boundedWait } from '../options/wait-bounds.js';

export type GateTransition = 'opened' | 'closed' | undefined;

/**
 * Backoff and circuit breaker for one provider + tenant's token endpoint. Exponential backoff with full jitter
 * (delay uniform in [0, min(max, base·2^n)]), never shorter than a 429's Retry-After. After
 * `circuitFailureThreshold` consecutive failures the circuit opens: calls are refused at once, so one broken
 * tenant neither hammers the endpoint nor makes its callers wait on timeouts. No wait exceeds MAX_WAIT_MS.
 */
export class RetryGate {
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private openUntil = 0;
  private lastError?: PaymentsAuthError;

  constructor(
    private readonly options: ResilienceOptions,
    private readonly random: () => number = Math.random,
  ) {}

  get isOpen(): boolean {
    return this.openUntil > 0;
  }

  /** When an automatic attempt may next happen (0: now). */
  get retryAt(): number {
    return Math.max(this.nextAttemptAt, this.openUntil);
  }

  /** Why a token call must not be made now, or undefined when it may. An elapsed open circuit lets one trial through. */
  blocked(now: number, details: { provider: ProviderName; tenant: string }): PaymentsAuthError | undefined {
    if (this.openUntil > now) return new CircuitOpenError(details, this.openUntil - now);
    if (this.nextAttemptAt > now && this.lastError !== undefined) return this.lastError;
    return undefined;
  }

  succeeded(): GateTransition {
    const wasOpen = this.openUntil > 0;
    this.consecutiveFailures = 0;
    this.nextAttemptAt = 0;
    this.openUntil = 0;
    this.lastError = undefined;
    return wasOpen ? 'closed' : undefined;
  }

  failed(error: PaymentsAuthError, now: number): GateTransition {
    this.consecutiveFailures += 1;
    this.lastError = error;
    const ceiling = Math.min(
      this.options.backoffMaxMs,
      this.options.backoffBaseMs * 2 ** (this.consecutiveFailures - 1),
    );
    // Bounded again here: a RateLimitedError may come from a custom protocol that did not bound its header.
    const retryAfterMs = boundedWait(error instanceof RateLimitedError ? (error.retryAfterMs ?? 0) : 0);
    this.nextAttemptAt = now + boundedWait(Math.max(retryAfterMs, Math.floor(this.random() * ceiling)));
    if (this.consecutiveFailures < this.options.circuitFailureThreshold) return undefined;
    const wasOpen = this.openUntil > 0;
    this.openUntil = now + boundedWait(Math.max(this.options.circuitCooldownMs, retryAfterMs));
    return wasOpen ? undefined : 'opened';
  }
}
