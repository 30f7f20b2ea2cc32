import type { ProviderName } from '../errors/payments-auth.error.js';
import { NoTenantError } from '../errors/no-tenant.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import type { ValidatedTenantConfig } from '../options/tenant-config.validator.js';
import type { TenantRegistry } from './tenant-registry.js';
import type { TokenEngine } from '../engine/token-engine.js';
import type { TokenSnapshot, TokenState } from '../engine/token-snapshot.interface.js';

/**
 * What both provider services do with a managed token: find the tenant's configuration for this provider and
 * hand the work to the engine. The tenant is always named: `defaultTenant` belongs to the HTTP path only, so a
 * service call that forgot its tenant fails instead of getting another tenant's token. Missing tenants and
 * provider configurations are reported here, before any network call.
 */
export class TokenFacade<TConfig extends object> {
  constructor(
    readonly provider: ProviderName,
    private readonly registry: TenantRegistry,
    readonly engine: TokenEngine<TConfig>,
    private readonly configOf: (tenantConfig: ValidatedTenantConfig) => TConfig | undefined,
  ) {
    registry.watch((tenant, next, previous) => this.changed(tenant, next, previous));
    engine.followConfiguration((tenant) => {
      const known = registry.peek(tenant);
      return known === undefined ? undefined : configOf(known);
    });
  }

  /** A provider configuration that is gone (tenant removed, provider or OAuth mode dropped) takes its records with it. */
  private async changed(tenant: string, next: ValidatedTenantConfig | undefined, previous: ValidatedTenantConfig): Promise<void> {
    const before = this.configOf(previous);
    const after = next === undefined ? undefined : this.configOf(next);
    if (after !== undefined) await this.engine.replaceConfig(tenant, after);
    else if (before !== undefined) await this.engine.remove(tenant, before);
    else if (next === undefined) await this.engine.removeStored(tenant); // written under a configuration it had before
  }

  /** Not `async` on purpose: for a known tenant with a cached token, two Map lookups and one comparison. */
  getToken(tenant: string): Promise<string> {
    const cached = this.engine.cachedToken(tenant);
    if (cached !== undefined) return Promise.resolve(cached);
    const known = this.registry.peek(tenant);
    const config = known === undefined ? undefined : this.configOf(known);
    if (config !== undefined) return this.engine.getToken(tenant, config);
    return this.lookup(tenant).then((found) => this.engine.getToken(tenant, found));
  }

  async getTokenInfo(tenant: string): Promise<TokenSnapshot> {
    return this.engine.getTokenInfo(tenant, await this.lookup(tenant));
  }

  async invalidate(tenant: string, token?: string): Promise<boolean> {
    return this.engine.invalidate(tenant, await this.lookup(tenant), token);
  }

  async forceRenewal(tenant: string): Promise<string> {
    return this.engine.forceRenewal(tenant, await this.lookup(tenant));
  }

  states(): TokenState[] {
    return this.engine.states();
  }

  /** The tenant's whole configuration (resolving it if needed); a call without a tenant fails here. */
  async tenantConfig(tenant: string): Promise<ValidatedTenantConfig> {
    if (typeof tenant !== 'string' || tenant === '') throw new NoTenantError();
    return this.registry.peek(tenant) ?? this.registry.getOrThrow(tenant);
  }

  async lookup(tenant: string): Promise<TConfig> {
    const config = this.configOf(await this.tenantConfig(tenant));
    if (config === undefined) throw new ProviderNotConfiguredError(this.provider, tenant);
    return config;
  }
}
