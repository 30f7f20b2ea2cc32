import type { ProviderName } from '../errors/payments-auth.error.js';
import { ProviderNotConfiguredError } from '../errors/provider-not-configured.error.js';
import type { NormalizedTenantConfig } from '../options/tenant-config.validator.js';
import type { TenantRegistry } from './tenant-registry.js';
import type { TokenEngine } from './token-engine.js';
import type { TokenSnapshot, TokenState } from './token-snapshot.interface.js';

/** An HTTP header carrying a credential, ready to set on a request. */
export interface AuthHeader {
  name: string;
  value: string;
}

/**
 * The facade shape both provider services share: resolve the tenant (default when omitted), pick its
 * configuration for this provider, and hand the work to the engine. Errors for a missing tenant or provider
 * configuration are raised here, before any network call.
 */
export abstract class ProviderTokenService<TConfig extends object> {
  protected constructor(
    protected readonly provider: ProviderName,
    protected readonly registry: TenantRegistry,
    protected readonly engine: TokenEngine<TConfig>,
  ) {}

  /**
   * A valid access token for the tenant (the default tenant when omitted). Not `async` on purpose: for a known
   * tenant with a cached token this is two Map lookups and one comparison, with no extra promise hops.
   */
  getToken(tenantId?: string): Promise<string> {
    const tenant = tenantId ?? this.registry.defaultTenant;
    const cached = tenant === undefined ? undefined : this.engine.cachedToken(tenant);
    if (cached !== undefined) return Promise.resolve(cached);
    const known = tenant === undefined ? undefined : this.registry.peek(tenant);
    const config = known === undefined ? undefined : this.configOf(known);
    if (config !== undefined) return this.engine.getToken(tenant as string, config);
    return this.lookup(tenantId).then(({ tenant: resolved, config: found }) => this.engine.getToken(resolved, found));
  }

  /** Expiry and non-secret facts about the tenant's current token, obtaining one if needed. */
  async getTokenInfo(tenantId?: string): Promise<TokenSnapshot> {
    const { tenant, config } = await this.lookup(tenantId);
    return this.engine.getTokenInfo(tenant, config);
  }

  /**
   * Drops the cached token if it is still `token` (e.g. the one a 401 came back for), so that a token renewed
   * meanwhile by someone else is not thrown away. Returns whether a token was dropped.
   */
  async invalidate(tenantId?: string, token?: string): Promise<boolean> {
    const { tenant, config } = await this.lookup(tenantId);
    return this.engine.invalidate(tenant, config, token);
  }

  /** Forces a new token now; concurrent callers share the one token call. Also retries after re-authorization. */
  async forceRenewal(tenantId?: string): Promise<string> {
    const { tenant, config } = await this.lookup(tenantId);
    return this.engine.forceRenewal(tenant, config);
  }

  /** The header to send to the provider's API: `Authorization: Bearer <token>`. */
  async getAuthHeader(tenantId?: string): Promise<AuthHeader> {
    return { name: 'Authorization', value: `Bearer ${await this.getToken(tenantId)}` };
  }

  /** Each tenant's credential state for this provider (health checks); never a token value. */
  states(): TokenState[] {
    return this.engine.states();
  }

  protected abstract configOf(tenantConfig: NormalizedTenantConfig): TConfig | undefined;

  protected async lookup(tenantId: string | undefined): Promise<{ tenant: string; config: TConfig }> {
    const tenant = this.registry.tenantOrDefault(tenantId);
    const tenantConfig = this.registry.peek(tenant) ?? (await this.registry.getOrThrow(tenant));
    const config = this.configOf(tenantConfig);
    if (config === undefined) throw new ProviderNotConfiguredError(this.provider, tenant);
    return { tenant, config };
  }
}
