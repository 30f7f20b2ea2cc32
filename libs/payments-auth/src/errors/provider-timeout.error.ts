import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** The token call did not complete within `tokenCallTimeoutMs`. */
export class ProviderTimeoutError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_PROVIDER_TIMEOUT';

  constructor(
    details: PaymentsAuthErrorDetails,
    readonly timeoutMs: number,
  ) {
    super(`${details.provider} token call for tenant '${details.tenant}' timed out after ${timeoutMs} ms`, details);
  }
}
