import { Inject, Injectable } from '@nestjs/common';
import { TenantRegistry } from '../../tenants/tenant-registry.js';
import { TokenEngineFactory } from '../../engine/token-engine.factory.js';
import { TokenFacade } from '../../tenants/token-facade.js';
import type { BlnkTokenDetails, TokenSnapshot, TokenState } from '../../engine/token-snapshot.interface.js';
import { CredentialModeError } from '../../errors/credential-mode.error.js';
import { UnknownTenantError } from '../../errors/unknown-tenant.error.js';
import { ProviderNotConfiguredError } from '../../errors/provider-not-configured.error.js';
import { type ValidatedTenantConfig, configFor } from '../../options/provider-rules.js';
import { BLNK_RULES, type BlnkOAuthConfig, type ValidatedBlnkConfig } from './blnk.rules.js';
import type { BlnkAuthHeaders, BlnkCredentialInfo } from '../credential-info.js';
import { BlnkProtocol } from './blnk.protocol.js';
import { PaymentsAuthEvents } from '../../observability/payments-auth-events.js';
import type { ValidatedOptions } from '../../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../../options/injection-tokens.js';
import {
  type BlnkAuthorizationCallback,
  type BlnkAuthorizationExpectation,
  BlnkAuthorizationFlow,
  type BlnkAuthorizationRequest,
  type BlnkAuthorizationRequestOptions,
  unknownState,
} from './blnk-authorization.js';

/** A completed authorization: the tenant the callback's state belonged to, and its first token. */
export interface BlnkAuthorizationResult {
  tenant: string;
  token: TokenSnapshot<BlnkTokenDetails>;
}

/**
 * Blnk credentials for every tenant. Every method names its tenant. OAuth tenants get managed, rotating tokens;
 * static modes (Cloud API key, self-hosted Core key) are sent as configured. `getAuthHeaders` suits every mode.
 */
@Injectable()
export class BlnkTokenService {
  private readonly tokens: TokenFacade<BlnkOAuthConfig>;
  private readonly authorizations: BlnkAuthorizationFlow;

  /** @internal Created by Nest's injector. */
  constructor(
    registry: TenantRegistry,
    private readonly protocol: BlnkProtocol,
    engines: TokenEngineFactory,
    private readonly events: PaymentsAuthEvents,
    @Inject(VALIDATED_OPTIONS) options: ValidatedOptions,
  ) {
    this.authorizations = new BlnkAuthorizationFlow(options.store);
    // A tenant that no longer uses Blnk OAuth has no authorization to complete: its pending requests go too.
    registry.watch(async (tenant, next, previous) => {
      if (oauthOf(previous) !== undefined && (next === undefined || oauthOf(next) === undefined))
        await this.authorizations.discard(tenant);
    });
    this.tokens = new TokenFacade(registry, engines, protocol, oauthOf);
  }

  /**
   * A bearer token: the managed OAuth token, or the Cloud API key. A Blnk Core key is no bearer token (it goes in
   * `X-Blnk-Key`), so for Core tenants this throws CredentialModeError: use getAuthHeaders.
   */
  getToken(tenant: string): Promise<string> {
    const cached = this.tokens.engine.cachedToken(tenant);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.blnkConfig(tenant).then((config) =>
      config.mode === 'oauth' ? this.tokens.getToken(tenant) : this.bearerKey(tenant, config, 'getToken'),
    );
  }

  /** The headers to send to Blnk's API, ready to spread: `{ Authorization: 'Bearer ...' }` or `{ 'X-Blnk-Key': ... }`. */
  async getAuthHeaders(tenant: string): Promise<BlnkAuthHeaders> {
    const config = await this.blnkConfig(tenant);
    if (config.mode === 'core') return { 'X-Blnk-Key': config.apiKey };
    return { Authorization: `Bearer ${config.mode === 'oauth' ? await this.tokens.getToken(tenant) : config.apiKey}` };
  }

  /**
   * @internal For PaymentsHttpService: the headers when they are at hand (a static key, a cached OAuth token),
   * without a promise in between; undefined when they have to be waited for, or when `getAuthHeaders` was
   * overridden, spied on or wrapped (which then runs).
   */
  cachedAuthHeaders(tenant: string): BlnkAuthHeaders | undefined {
    if (this.getAuthHeaders !== OWN_GET_AUTH_HEADERS) return undefined;
    const known = this.tokens.knownTenantConfig(tenant);
    const config = known === undefined ? undefined : configFor(BLNK_RULES, known);
    if (config === undefined) return undefined;
    if (config.mode === 'core') return { 'X-Blnk-Key': config.apiKey };
    const token = config.mode === 'oauth' ? this.tokens.engine.cachedToken(tenant) : config.apiKey;
    return token === undefined ? undefined : { Authorization: `Bearer ${token}` };
  }

  /** Expiry, renewal time and scope of an OAuth tenant's token. Static keys have none: CredentialModeError. */
  async getTokenInfo(tenant: string): Promise<TokenSnapshot<BlnkTokenDetails>> {
    await this.oauthOnly(tenant, 'getTokenInfo', 'a static key has no token lifecycle', 'getCredentialInfo');
    return (await this.tokens.getTokenInfo(tenant)) as TokenSnapshot<BlnkTokenDetails>;
  }

  /** How the tenant's Blnk credential is used (OAuth, Cloud API key or Core key) and, for OAuth, where its grant came from; never a value. */
  async getCredentialInfo(tenant: string): Promise<BlnkCredentialInfo> {
    const config = await this.blnkConfig(tenant);
    const header = config.mode === 'core' ? 'X-Blnk-Key' : 'Authorization';
    const info: BlnkCredentialInfo = {
      provider: 'blnk',
      tenant,
      mode: config.mode,
      managed: config.mode === 'oauth',
      header,
      baseUrl: config.baseUrl,
    };
    return config.mode === 'oauth' ? { ...info, ...(await this.tokens.engine.grantOrigin(tenant)) } : info;
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
   * Starts onboarding (or re-authorizing) an OAuth tenant: the URL to send the user's browser to, with
   * `client_id`, `redirect_uri`, `scope`, a random single-use `state` and, unless the tenant sets `pkce: false`,
   * a PKCE S256 challenge. The pending request is kept in the token store, so any replica can complete it.
   */
  async createAuthorizationRequest(
    tenant: string,
    options: BlnkAuthorizationRequestOptions,
  ): Promise<BlnkAuthorizationRequest> {
    const config = await this.oauthOnly(
      tenant,
      'createAuthorizationRequest',
      'only OAuth tenants are authorized',
      'getCredentialInfo',
    );
    return this.authorizations.request(tenant, config, options);
  }

  /**
   * Completes an authorization from Blnk's callback (pass the query as parsed): checks its state (issued by
   * createAuthorizationRequest on any replica, unused, unexpired, and for `expected.tenant` and
   * `expected.redirectUri` when given), then exchanges the code, with the PKCE verifier, for the first tokens
   * and stores them. A refused callback throws AuthorizationError and changes nothing.
   */
  async completeAuthorization(
    callback: BlnkAuthorizationCallback,
    expected: BlnkAuthorizationExpectation = {},
  ): Promise<BlnkAuthorizationResult> {
    const state = this.authorizations.parseState(callback, expected);
    const { tenant } = state;
    // A forged state may name any tenant: whether it exists, or in which mode, is not the caller's to learn.
    await this.oauthOnly(
      tenant,
      'completeAuthorization',
      'only OAuth tenants are authorized',
      'getCredentialInfo',
    ).catch((error: unknown) => {
      if (
        error instanceof UnknownTenantError ||
        error instanceof CredentialModeError ||
        error instanceof ProviderNotConfiguredError
      ) {
        throw unknownState(); // word for word the refusal of an existing tenant's unknown state
      }
      throw error;
    });
    const { code, pending } = await this.authorizations.accept(state, callback, expected);
    // Read again: the tenant may have been re-keyed or removed while the store was read.
    const config = await this.oauthOnly(
      tenant,
      'completeAuthorization',
      'only OAuth tenants are authorized',
      'getCredentialInfo',
    );
    const token = await this.exchange(tenant, config, code, pending.redirectUri, pending.codeVerifier);
    this.events.emit({
      type: 'authorization.completed',
      provider: 'blnk',
      tenant,
      at: new Date(),
      expiresAt: new Date(token.expiresAt),
    });
    return { tenant, token };
  }

  /**
   * Exchanges an authorization code the app obtained itself for the first tokens and stores them (no seed
   * refresh token needed); clears a re-authorization-required state. Prefer createAuthorizationRequest and
   * completeAuthorization, which also keep and check the state and PKCE verifier.
   */
  async exchangeAuthorizationCode(
    tenant: string,
    code: string,
    redirectUri: string,
    codeVerifier?: string,
  ): Promise<TokenSnapshot<BlnkTokenDetails>> {
    const config = await this.oauthOnly(
      tenant,
      'exchangeAuthorizationCode',
      'only OAuth tenants are authorized with a code',
      'getCredentialInfo',
    );
    return this.exchange(tenant, config, code, redirectUri, codeVerifier);
  }

  private async exchange(
    tenant: string,
    config: BlnkOAuthConfig,
    code: string,
    redirectUri: string,
    codeVerifier?: string,
  ): Promise<TokenSnapshot<BlnkTokenDetails>> {
    const exchange = () => this.protocol.exchangeAuthorizationCode(config, tenant, code, redirectUri, codeVerifier);
    return (await this.tokens.engine.acquireVia(tenant, exchange)) as TokenSnapshot<BlnkTokenDetails>;
  }

  private bearerKey(tenant: string, config: Exclude<ValidatedBlnkConfig, BlnkOAuthConfig>, operation: string): string {
    if (config.mode === 'core') {
      throw new CredentialModeError(
        'blnk',
        tenant,
        'core',
        operation,
        'a Core key goes in X-Blnk-Key, not as a bearer token',
        'getAuthHeaders',
      );
    }
    return config.apiKey;
  }

  private async oauthOnly(
    tenant: string,
    operation: string,
    reason: string,
    instead: string,
  ): Promise<BlnkOAuthConfig> {
    const config = await this.blnkConfig(tenant);
    if (config.mode !== 'oauth') throw new CredentialModeError('blnk', tenant, config.mode, operation, reason, instead);
    return config;
  }

  private async blnkConfig(tenant: string): Promise<ValidatedBlnkConfig> {
    const config = configFor(BLNK_RULES, await this.tokens.tenantConfig(tenant));
    if (config === undefined) throw new ProviderNotConfiguredError('blnk', tenant);
    return config;
  }
}

/** The tenant's Blnk configuration when it is OAuth (the only mode with a managed token). */
function oauthOf(tenantConfig: ValidatedTenantConfig): BlnkOAuthConfig | undefined {
  const blnk = configFor(BLNK_RULES, tenantConfig);
  return blnk?.mode === 'oauth' ? blnk : undefined;
}

/** The class's own getAuthHeaders, as loaded: a subclass, an instance override and a spy on the prototype all differ. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity, never called
const OWN_GET_AUTH_HEADERS = BlnkTokenService.prototype.getAuthHeaders;
