import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** The token endpoint answered 429. `retryAfterMs` comes from `Retry-After` (seconds or HTTP date) when sent. */
export class RateLimitedError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_RATE_LIMITED';

  constructor(
    details: PaymentsAuthErrorDetails,
    readonly retryAfterMs?: number,
  ) {
    super(
      `${details.provider} token endpoint rate-limited tenant '${details.tenant}'` +
        (retryAfterMs === undefined ? '' : `; retry after ${retryAfterMs} ms`),
      { ...details, status: 429 },
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}
