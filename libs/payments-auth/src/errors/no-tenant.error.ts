import { PaymentsAuthError } from './payments-auth.error.js';

/**
 * No tenant: a service call without one, or a request to a provider with no `paymentsAuth.tenant`, tenant
 * context or `defaultTenant`. Thrown before any network call.
 */
export class NoTenantError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_NO_TENANT';

  constructor() {
    super(
      'No tenant given: service calls name their tenant; provider requests take it from paymentsAuth.tenant, the tenant context or defaultTenant',
    );
  }
}
