import { Injectable } from '@nestjs/common';
import { TenantRegistry } from '../../engine/tenant-registry.js';
import { TokenEngineFactory } from '../../engine/token-engine.factory.js';
import { TokenFacade } from '../../engine/token-facade.js';
import type { BlnkTokenDetails, TokenSnapshot, TokenState } from '../../engine/token-snapshot.interface.js';
import { CredentialModeError } from '../../errors/credential-mode.error.js';
import { ProviderNotConfiguredError } from '../../errors/provider-not-configured.error.js';
import type { ValidatedBlnkConfig } from '../../options/tenant-config.validator.js';
import type { BlnkAuthHeaders, BlnkCredentialInfo } from '../credential-info.js';
import { BlnkOAuthConfig, BlnkProtocol } from './blnk.protocol.js';

/**
 * Blnk credentials for every tenant. Every method names its tenant. OAuth tenants get managed, rotating tokens;
 * static modes (Cloud API key, self-hosted Core key) are sent as configured. `getAuthHeaders` suits every mode.
 */
@Injectable()
export class BlnkTokenService {
  private readonly tokens: TokenFacade<BlnkOAuthConfig>;

  /** @internal Created by Nest's injector. */
  constructor(
    registry: TenantRegistry,
    private readonly protocol: BlnkProtocol,
    engines: TokenEngineFactory,
  ) {
    this.tokens = new TokenFacade('blnk', registry, engines.create(protocol), (tenantConfig) =>
      tenantConfig.blnk?.mode === 'oauth' ? tenantConfig.blnk : undefined,
    );
  }

  /**
   * A bearer token: the managed OAuth token, or the Cloud API key. A Blnk Core key is no bearer token (it goes in
   * `X-Blnk-Key`), so for Core tenants this throws CredentialModeError: use getAuthHeaders.
   */
  getToken(tenant: string): Promise<string> {
    const cached = this.tokens.engine.cachedToken(tenant);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.blnkConfig(tenant).then((config) => (config.mode === 'oauth' ? this.tokens.getToken(tenant) : this.bearerKey(tenant, config, 'getToken')));
  }

  /** The headers to send to Blnk's API, ready to spread: `{ Authorization: 'Bearer ...' }` or `{ 'X-Blnk-Key': ... }`. */
  async getAuthHeaders(tenant: string): Promise<BlnkAuthHeaders> {
    const config = await this.blnkConfig(tenant);
    if (config.mode === 'core') return { 'X-Blnk-Key': config.apiKey };
    return { Authorization: `Bearer ${config.mode === 'oauth' ? await this.tokens.getToken(tenant) : config.apiKey}` };
  }

  /** Expiry, renewal time and scope of an OAuth tenant's token. Static keys have none: CredentialModeError. */
  async getTokenInfo(tenant: string): Promise<TokenSnapshot<BlnkTokenDetails>> {
    await this.oauthOnly(tenant, 'getTokenInfo', 'a static key has no token lifecycle', 'getCredentialInfo');
    return (await this.tokens.getTokenInfo(tenant)) as TokenSnapshot<BlnkTokenDetails>;
  }

  /** How the tenant's Blnk credential is used (OAuth, Cloud API key or Core key); never its value. */
  async getCredentialInfo(tenant: string): Promise<BlnkCredentialInfo> {
    const config = await this.blnkConfig(tenant);
    const header = config.mode === 'core' ? 'X-Blnk-Key' : 'Authorization';
    return { provider: 'blnk', tenant, mode: config.mode, managed: config.mode === 'oauth', header, baseUrl: config.baseUrl };
  }

  /** Drops the cached OAuth token if it is still `token`. Static keys have no cached token: always false. */
  async invalidate(tenant: string, token?: string): Promise<boolean> {
    const config = await this.blnkConfig(tenant);
    return config.mode === 'oauth' ? this.tokens.invalidate(tenant, token) : false;
  }

  /** A new OAuth token now (concurrent callers share the one call; it rotates the refresh token). Static keys: the key. */
  async forceRenewal(tenant: string): Promise<string> {
    const config = await this.blnkConfig(tenant);
    return config.mode === 'oauth' ? this.tokens.forceRenewal(tenant) : this.bearerKey(tenant, config, 'forceRenewal');
  }

  /** Each OAuth tenant's token state (health checks); never a token value. */
  states(): TokenState[] {
    return this.tokens.states();
  }

  /**
   * Onboards an OAuth tenant: exchanges an authorization code (from Blnk's redirect to `redirectUri`) for the
   * first tokens and stores them, so no seed refresh token is needed. Clears a re-authorization-required state.
   */
  async exchangeAuthorizationCode(tenant: string, code: string, redirectUri: string): Promise<TokenSnapshot<BlnkTokenDetails>> {
    const config = await this.oauthOnly(tenant, 'exchangeAuthorizationCode', 'only OAuth tenants are authorized with a code', 'getCredentialInfo');
    const snapshot = await this.tokens.engine.acquireVia(tenant, config, () => this.protocol.exchangeAuthorizationCode(config, tenant, code, redirectUri));
    return snapshot as TokenSnapshot<BlnkTokenDetails>;
  }

  private bearerKey(tenant: string, config: Exclude<ValidatedBlnkConfig, BlnkOAuthConfig>, operation: string): string {
    if (config.mode === 'core') {
      throw new CredentialModeError('blnk', tenant, 'core', operation, 'a Core key goes in X-Blnk-Key, not as a bearer token', 'getAuthHeaders');
    }
    return config.apiKey;
  }

  private async oauthOnly(tenant: string, operation: string, reason: string, instead: string): Promise<BlnkOAuthConfig> {
    const config = await this.blnkConfig(tenant);
    if (config.mode !== 'oauth') throw new CredentialModeError('blnk', tenant, config.mode, operation, reason, instead);
    return config;
  }

  private async blnkConfig(tenant: string): Promise<ValidatedBlnkConfig> {
    const config = (await this.tokens.tenantConfig(tenant)).blnk;
    if (config === undefined) throw new ProviderNotConfiguredError('blnk', tenant);
    return config;
  }
}
