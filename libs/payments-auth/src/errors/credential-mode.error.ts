import { PaymentsAuthError, ProviderName } from './payments-auth.error.js';

/**
 * The operation does not apply to the tenant's credential mode: a static Blnk key has no token lifecycle, and
 * a Blnk Core key is not a bearer token. Says which method to call instead. Thrown before any network call.
 */
export class CredentialModeError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_CREDENTIAL_MODE';

  constructor(
    provider: ProviderName,
    tenant: string,
    /** The tenant's credential mode, e.g. `core` or `api-key`. */
    readonly mode: string,
    /** The method that was called, e.g. `getToken`. */
    readonly operation: string,
    reason: string,
    /** The method to call instead, e.g. `getAuthHeaders`. */
    readonly instead: string,
  ) {
    super(
      `Tenant '${tenant}' uses a ${provider} ${mode} credential: ${operation} does not apply (${reason}); use ${instead}`,
      { provider, tenant },
    );
  }
}
