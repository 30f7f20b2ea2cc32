import { PaymentsAuthError } from './payments-auth.error.js';

/** No tenant was given and the module has no `defaultTenant`. Thrown before any network call. */
export class NoTenantError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_NO_TENANT';

  constructor() {
    super('No tenant given and no defaultTenant configured');
  }
}
