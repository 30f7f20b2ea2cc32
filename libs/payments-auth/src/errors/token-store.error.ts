import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/** The token store failed to read or write. The message names the operation, never the stored values. */
export class TokenStoreError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_TOKEN_STORE';

  constructor(details: PaymentsAuthErrorDetails, operation: string, reason: string) {
    super(`Token store ${operation} failed for tenant '${details.tenant}': ${reason}`, details);
  }
}
