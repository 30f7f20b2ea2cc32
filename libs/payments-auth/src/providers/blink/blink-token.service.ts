import { Injectable } from '@nestjs/common';
import { TenantRegistry } from '../../tenants/tenant-registry.js';
import { TokenEngineFactory } from '../../engine/token-engine.factory.js';
import { TokenFacade } from '../../tenants/token-facade.js';
import type { BlinkTokenDetails, TokenSnapshot, TokenState } from '../../engine/token-snapshot.interface.js';
import { configFor } from '../../options/provider-rules.js';
import { BLINK_RULES, type ValidatedBlinkConfig } from './blink.rules.js';
import type { BlinkAuthHeaders, BlinkCredentialInfo } from '../credential-info.js';
import { BlinkProtocol } from './blink.protocol.js';

/** Blink Payment access tokens for every tenant. Every method names its tenant. */
@Injectable()
export class BlinkTokenService {
  private readonly tokens: TokenFacade<ValidatedBlinkConfig>;

  /** @internal Created by Nest's injector. */
  constructor(registry: TenantRegistry, protocol: BlinkProtocol, engines: TokenEngineFactory) {
    this.tokens = new TokenFacade(registry, engines, protocol, (tenantConfig) => configFor(BLINK_RULES, tenantConfig));
  }

  /** A valid access token, from the cache when it holds one; waits for a token call only when none is usable. */
  getToken(tenant: string): Promise<string> {
    return this.tokens.getToken(tenant);
  }

  /** The headers to send to Blink's API, ready to spread: `{ Authorization: 'Bearer ...' }`. */
  async getAuthHeaders(tenant: string): Promise<BlinkAuthHeaders> {
    return { Authorization: `Bearer ${await this.tokens.getToken(tenant)}` };
  }

  /**
   * @internal For PaymentsHttpService: the headers when the token is cached, without a promise in between;
   * undefined when it has to be waited for, or when `getAuthHeaders` was overridden,
   * spied on or wrapped (which then runs).
   */
  cachedAuthHeaders(tenant: string): BlinkAuthHeaders | undefined {
    if (this.getAuthHeaders !== OWN_GET_AUTH_HEADERS) return undefined;
    const token = this.tokens.engine.cachedToken(tenant);
    return token === undefined ? undefined : { Authorization: `Bearer ${token}` };
  }

  /** Expiry, renewal time and Blink's response facts for the current token, obtaining one if needed. */
  async getTokenInfo(tenant: string): Promise<TokenSnapshot<BlinkTokenDetails>> {
    return (await this.tokens.getTokenInfo(tenant)) as TokenSnapshot<BlinkTokenDetails>;
  }

  /** How the tenant's Blink credential is used; never its value. */
  async getCredentialInfo(tenant: string): Promise<BlinkCredentialInfo> {
    const config = await this.tokens.lookup(tenant);
    return {
      provider: 'blink',
      tenant,
      mode: 'key-pair',
      managed: true,
      header: 'Authorization',
      baseUrl: config.baseUrl,
    };
  }

  /**
   * Drops the cached token if it is still `token` (e.g. the one a 401 came back for), so that a token renewed
   * meanwhile is not thrown away. Returns whether a token was dropped.
   */
  invalidate(tenant: string, token?: string): Promise<boolean> {
    return this.tokens.invalidate(tenant, token);
  }

  /** A new token now, whatever the cached one; concurrent callers share the one token call. */
  forceRenewal(tenant: string): Promise<string> {
    return this.tokens.forceRenewal(tenant);
  }

  /** Each tenant's token state (health checks); never a token value. */
  states(): TokenState[] {
    return this.tokens.states();
  }
}

/** The class's own getAuthHeaders, as loaded: a subclass, an instance override and a spy on the prototype all differ. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity, never called
const OWN_GET_AUTH_HEADERS = BlinkTokenService.prototype.getAuthHeaders;
