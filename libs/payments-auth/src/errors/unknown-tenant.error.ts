import { PaymentsAuthError } from './payments-auth.error.js';

/**
 * Tenant ids end up in store keys, log lines and (hashed) file names, and arrive from request headers, so they
 * are restricted to a safe alphabet that starts with a letter or digit: that rules out `.`, `..`, hidden-file
 * names and `__proto__`. Defined here, the lowest layer, because this error needs it too.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The tenant is neither in `tenants` nor known to `resolveTenant`. Thrown before any network call.
 *
 * Tenant ids often come from request headers: an id that breaks the tenant-id rules (CR/LF, 100 KB of text) is
 * never echoed into the message or `tenant`, which end up in logs and HTTP answers; the error says it is invalid.
 */
export class UnknownTenantError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_UNKNOWN_TENANT';
  /** False when the id broke the tenant-id rules (then neither the message nor `tenant` carries it). */
  readonly validId: boolean;

  constructor(tenant: string) {
    const validId = typeof tenant === 'string' && TENANT_ID_PATTERN.test(tenant);
    super(
      validId
        ? `Unknown payments-auth tenant '${tenant}'`
        : 'Invalid payments-auth tenant id: expected 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      validId ? { tenant } : {},
    );
    this.validId = validId;
  }
}
