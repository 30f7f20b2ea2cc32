import { PaymentsAuthError, ProviderName } from './payments-auth.error.js';

/** The tenant exists but has no configuration for this provider. Thrown before any network call. */
export class ProviderNotConfiguredError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_PROVIDER_NOT_CONFIGURED';

  constructor(provider: ProviderName, tenant: string, detail?: string) {
    super(`Tenant '${tenant}' has no ${provider} configuration${detail ? ` ${detail}` : ''}`, { provider, tenant });
  }
}
