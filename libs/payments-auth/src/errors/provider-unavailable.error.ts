import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** The token endpoint could not be reached, reset the connection, or answered 5xx. Worth retrying later. */
export class ProviderUnavailableError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE';

  constructor(details: PaymentsAuthErrorDetails, reason: string) {
    super(`${details.provider} token endpoint unavailable for tenant '${details.tenant}': ${reason}`, details);
  }
}
