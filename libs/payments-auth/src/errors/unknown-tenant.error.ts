import { PaymentsAuthError } from './payments-auth.error.js';

/** The tenant is neither in `tenants` nor known to `resolveTenant`. Thrown before any network call. */
export class UnknownTenantError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_UNKNOWN_TENANT';

  constructor(tenant: string) {
    super(`Unknown payments-auth tenant '${tenant}'`, { tenant });
  }
}
