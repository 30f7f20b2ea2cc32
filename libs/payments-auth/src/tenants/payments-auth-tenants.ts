import { Injectable } from '@nestjs/common';
import type { TenantConfig } from '../options/payments-auth-options.interface.js';
import { TenantRegistry } from './tenant-registry.js';

/** What `PaymentsAuthTenants.set` did. */
export type TenantSetOutcome = 'added' | 'updated' | 'unchanged';

/**
 * Adds, re-keys and removes tenants while the application runs, on this instance (each instance has its own:
 * tell every instance, or use `resolveTenant` with `resolveTenantTtlMs` to let each pick changes up itself).
 */
@Injectable()
export class PaymentsAuthTenants {
  /** @internal Created by Nest's injector. */
  constructor(private readonly registry: TenantRegistry) {}

  /**
   * Adds a tenant or replaces its configuration, validated exactly as at bootstrap (PaymentsAuthConfigError
   * naming each field; nothing changes when it throws). New credentials are used from the next token call on;
   * a valid token of the old ones is still served until it would be renewed. A tenant set here is no longer
   * looked up through `resolveTenant`. Emits `tenant.added` or `tenant.updated` once the change is in effect.
   */
  set(tenant: string, config: TenantConfig): Promise<TenantSetOutcome> {
    return this.registry.set(tenant, config, 'api');
  }

  /**
   * Removes a tenant: its renewals stop, a token call under way finishes, then its stored records (tokens, the
   * Blnk refresh token, pending authorizations) are deleted from the store, and later calls get
   * UnknownTenantError. Resolves, with whether the tenant was known, once all that is done; emits
   * `tenant.removed`. With `resolveTenant`, remove it from your source first, or its next use finds it again.
   */
  remove(tenant: string): Promise<boolean> {
    return this.registry.remove(tenant, 'api');
  }

  /** Whether the tenant is known to this instance right now (without asking `resolveTenant`). */
  has(tenant: string): boolean {
    return this.registry.peek(tenant) !== undefined;
  }
}
