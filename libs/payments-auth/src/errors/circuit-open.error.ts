import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/**
 * The token endpoint failed repeatedly for this provider + tenant, so calls needing a new token are refused
 * without a network call until `retryAfterMs` has passed; then one trial call decides.
 */
export class CircuitOpenError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_CIRCUIT_OPEN';

  constructor(
    details: PaymentsAuthErrorDetails,
    readonly retryAfterMs: number,
  ) {
    super(
      `${details.provider} token endpoint circuit is open for tenant '${details.tenant}'; retry in ${retryAfterMs} ms`,
      details,
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}
