import { Injectable } from '@nestjs/common';
import { AuthHeader, ProviderTokenService } from '../../engine/provider-token.service.js';
import { TenantRegistry } from '../../engine/tenant-registry.js';
import { TokenEngineFactory } from '../../engine/token-engine.factory.js';
import type { TokenSnapshot } from '../../engine/token-snapshot.interface.js';
import { ProviderNotConfiguredError } from '../../errors/provider-not-configured.error.js';
import type { NormalizedBlnkConfig, NormalizedTenantConfig } from '../../options/tenant-config.validator.js';
import { BlnkOAuthConfig, BlnkProtocol } from './blnk.protocol.js';

export type BlnkCredentialMode = 'oauth' | 'api-key' | 'core';

/** What `getCredentialInfo` says about a tenant's Blnk credential, without its value. */
export interface BlnkCredentialInfo {
  tenant: string;
  mode: BlnkCredentialMode;
  /** The header the credential goes in: `Authorization` (as `Bearer ...`) or `X-Blnk-Key` (Blnk Core). */
  header: 'Authorization' | 'X-Blnk-Key';
}

/**
 * Blnk credentials for every tenant. OAuth tenants get managed, rotating tokens; static modes (Cloud API key,
 * self-hosted Core key) return the configured key from `getToken`, and `getAuthHeader` says where it goes.
 */
@Injectable()
export class BlnkTokenService extends ProviderTokenService<BlnkOAuthConfig> {
  constructor(
    registry: TenantRegistry,
    private readonly protocol: BlnkProtocol,
    engines: TokenEngineFactory,
  ) {
    super('blnk', registry, engines.create(protocol));
  }

  override getToken(tenantId?: string): Promise<string> {
    // Static keys short-circuit; OAuth goes to the base class's synchronous fast path.
    const tenant = tenantId ?? this.registry.defaultTenant;
    const known = tenant === undefined ? undefined : this.registry.peek(tenant)?.blnk;
    if (known !== undefined) return known.mode === 'oauth' ? super.getToken(tenantId) : Promise.resolve(known.apiKey);
    return this.blnkConfig(tenantId).then((config) => (config.mode === 'oauth' ? super.getToken(tenantId) : config.apiKey));
  }

  /** For static modes: the same as getToken (there is nothing to renew). */
  override async forceRenewal(tenantId?: string): Promise<string> {
    const config = await this.blnkConfig(tenantId);
    return config.mode === 'oauth' ? super.forceRenewal(tenantId) : config.apiKey;
  }

  /** For static modes there is no cached token to drop: always false. */
  override async invalidate(tenantId?: string, token?: string): Promise<boolean> {
    const config = await this.blnkConfig(tenantId);
    return config.mode === 'oauth' ? super.invalidate(tenantId, token) : false;
  }

  /** Expiry and scope of an OAuth tenant's token. Static modes have no token lifecycle: use getCredentialInfo. */
  override async getTokenInfo(tenantId?: string): Promise<TokenSnapshot> {
    const config = await this.blnkConfig(tenantId);
    if (config.mode !== 'oauth') {
      throw new ProviderNotConfiguredError('blnk', this.registry.tenantOrDefault(tenantId), `for OAuth (mode '${config.mode}' has no token lifecycle)`);
    }
    return super.getTokenInfo(tenantId);
  }

  override async getAuthHeader(tenantId?: string): Promise<AuthHeader> {
    const config = await this.blnkConfig(tenantId);
    if (config.mode === 'core') return { name: 'X-Blnk-Key', value: config.apiKey };
    return { name: 'Authorization', value: `Bearer ${await this.getToken(tenantId)}` };
  }

  async getCredentialInfo(tenantId?: string): Promise<BlnkCredentialInfo> {
    const tenant = this.registry.tenantOrDefault(tenantId);
    const config = await this.blnkConfig(tenant);
    return { tenant, mode: config.mode ?? 'oauth', header: config.mode === 'core' ? 'X-Blnk-Key' : 'Authorization' };
  }

  /**
   * Onboards an OAuth tenant: exchanges an authorization code (from Blnk's redirect to `redirectUri`) for the
   * first tokens and stores them, so no seed refresh token is needed. Clears a re-authorization-required state.
   */
  async exchangeAuthorizationCode(tenantId: string | undefined, code: string, redirectUri: string): Promise<TokenSnapshot> {
    const { tenant, config } = await this.lookup(tenantId);
    return this.engine.acquireVia(tenant, config, () =>
      this.protocol.exchangeAuthorizationCode(config, tenant, code, redirectUri),
    );
  }

  /** Only OAuth tenants have a token lifecycle; the base class uses this for every managed operation. */
  protected configOf(tenantConfig: NormalizedTenantConfig): BlnkOAuthConfig | undefined {
    return tenantConfig.blnk?.mode === 'oauth' ? tenantConfig.blnk : undefined;
  }

  private async blnkConfig(tenantId: string | undefined): Promise<NormalizedBlnkConfig> {
    const tenant = this.registry.tenantOrDefault(tenantId);
    const config = (this.registry.peek(tenant) ?? (await this.registry.getOrThrow(tenant))).blnk;
    if (config === undefined) throw new ProviderNotConfiguredError('blnk', tenant);
    return config;
  }
}
