import { PaymentsAuthError, ProviderName } from './payments-auth.error.js';

/**
 * The operation does not apply to the tenant's credential mode: a static Blnk key has no token lifecycle, and
 * a Blnk Core key is not a bearer token. Names what to call instead. Thrown before any network call.
 */
export class CredentialModeError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_CREDENTIAL_MODE';

  constructor(provider: ProviderName, tenant: string, mode: string, instead: string) {
    super(`Tenant '${tenant}' uses a ${provider} ${mode} credential: ${instead}`, { provider, tenant });
  }
}
