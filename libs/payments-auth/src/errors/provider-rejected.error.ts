import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** Any other 4xx from the token endpoint (e.g. a 400 about the request body). */
export class ProviderRejectedError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_PROVIDER_REJECTED';

  constructor(details: PaymentsAuthErrorDetails, reason: string) {
    super(`${details.provider} token endpoint rejected the request for tenant '${details.tenant}': ${reason}`, details);
  }
}
