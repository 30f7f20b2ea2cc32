import type { ProviderName } from '../errors/payments-auth.error.js';
import { NoTenantError } from '../errors/no-tenant.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import type { ValidatedTenantConfig } from '../options/tenant-config.validator.js';
import type { TenantRegistry } from './tenant-registry.js';
import type { TokenEngine } from '../engine/token-engine.js';
import type { TokenEngineFactory } from '../engine/token-engine.factory.js';
import type { TokenProtocol } from '../engine/token-protocol.interface.js';
import type { TokenSnapshot, TokenState } from '../engine/token-snapshot.interface.js';

/**
 * What both provider services do with a managed token: find the tenant's configuration for this provider and
 * hand the work to the engine. The tenant is always named: `defaultTenant` belongs to the HTTP path only, so a
 * service call that forgot its tenant fails instead of getting another tenant's token. Missing tenants and
 * provider configurations are reported here, before any network call.
 */
export class TokenFacade<TConfig extends object> {
  readonly provider: ProviderName;
  readonly engine: TokenEngine<TConfig>;

  constructor(
    private readonly registry: TenantRegistry,
    engines: Pick<TokenEngineFactory, 'create'>,
    protocol: TokenProtocol<TConfig>,
    private readonly configOf: (tenantConfig: ValidatedTenantConfig) => TConfig | undefined,
  ) {
    this.provider = protocol.provider;
    // The engine's one way to read a tenant's configuration: the registry, as it is at that moment.
    this.engine = engines.create(protocol, (tenant) => {
      const known = registry.peek(tenant);
      return known === undefined ? undefined : configOf(known);
    });
    registry.watch((tenant, next, previous) => this.changed(tenant, next, previous));
  }

  /** A provider configuration that is gone (tenant removed, provider or OAuth mode dropped) takes its records with it. */
  private async changed(
    tenant: string,
    next: ValidatedTenantConfig | undefined,
    previous: ValidatedTenantConfig,
  ): Promise<void> {
    const before = this.configOf(previous);
    const after = next === undefined ? undefined : this.configOf(next);
    if (after !== undefined) await this.engine.reconfigured(tenant);
    else if (before !== undefined) await this.engine.removed(tenant, before);
    else if (next === undefined) await this.engine.removeStored(tenant); // written under a configuration it had before
  }

  /**
   * Not `async` on purpose: for a known tenant with a cached token, one Map lookup, one clock read and one
   * comparison, and no promise made (bench 1).
   */
  getToken(tenant: string): Promise<string> {
    const cached = this.engine.cachedAnswer(tenant);
    if (cached !== undefined) return cached;
    const known = this.registry.peek(tenant);
    if (known !== undefined && this.configOf(known) !== undefined) return this.engine.getToken(tenant);
    return this.lookup(tenant).then(() => this.engine.getToken(tenant));
  }

  async getTokenInfo(tenant: string): Promise<TokenSnapshot> {
    await this.lookup(tenant);
    return this.engine.getTokenInfo(tenant);
  }

  async invalidate(tenant: string, token?: string): Promise<boolean> {
    await this.lookup(tenant);
    return this.engine.invalidate(tenant, token);
  }

  async forceRenewal(tenant: string): Promise<string> {
    await this.lookup(tenant);
    return this.engine.forceRenewal(tenant);
  }

  states(): TokenState[] {
    return this.engine.states();
  }

  /** The tenant's whole configuration when the registry holds it already; never a lookup. */
  knownTenantConfig(tenant: string): ValidatedTenantConfig | undefined {
    return this.registry.peek(tenant);
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
