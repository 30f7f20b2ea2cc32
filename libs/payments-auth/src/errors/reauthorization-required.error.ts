import { PaymentsAuthError, PaymentsAuthErrorDetails } from './payments-auth.error.js';

/**
 * The provider rejected the credentials themselves (Blink keys refused, Blnk `invalid_client` or
 * `invalid_grant`). Retrying cannot help: the library stops calling the provider for this tenant until the
 * configuration changes, `exchangeAuthorizationCode` stores a new grant, or `forceRenewal()` is called explicitly.
 */
export class ReauthorizationRequiredError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED';

  constructor(details: PaymentsAuthErrorDetails, reason: string) {
    super(
      `${details.provider} rejected the credentials of tenant '${details.tenant}' (${reason}); re-authorization required`,
      details,
    );
  }
}
