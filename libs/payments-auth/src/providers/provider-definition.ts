import type { Type } from '@nestjs/common';
import type { TokenState } from '../engine/token-snapshot.interface.js';
import type { TokenProtocol } from '../engine/token-protocol.interface.js';
import type { ProviderRules } from '../options/provider-rules.js';

/** What the interceptor and the status report need of a provider's public service, whatever the provider. */
export interface ProviderCredentials {
  /** The headers that authorize a request for the tenant, ready to set (one header). */
  getAuthHeaders(tenant: string): Promise<Readonly<Record<string, string>>>;
  /**
   * The same headers when they are at hand without waiting (a cached token, a static key), else undefined. A
   * service whose `getAuthHeaders` was overridden answers undefined, so the override is called on every request.
   */
  cachedAuthHeaders?(tenant: string): Readonly<Record<string, string>> | undefined;
  /** Drops the tenant's managed token if it is still `token` (a 401 answered it). */
  invalidate(tenant: string, token?: string): Promise<boolean>;
  /** Each tenant's token state for health checks; never a token value. */
  states(): TokenState[];
}

/**
 * Everything the library knows of one provider, in the provider's own folder: its rules (name, configuration
 * schema and defaults, how a request for it is recognised, warnings), its token protocol and its public service
 * (credential info, auth headers, status rows). The module registers both classes with Nest; the interceptor,
 * the status report, the validator and the tenant registry iterate the list and name no provider.
 */
export interface ProviderDefinition<TConfig extends object = object> {
  readonly rules: ProviderRules<TConfig>;
  /** Its service decides which configurations reach it (Blnk's: OAuth ones only, not static keys). */
  readonly protocol: Type<TokenProtocol<object>>;
  readonly service: Type<ProviderCredentials>;
}

/** The definitions in use (a copy of the provider list taken when the module was configured). */
export const PROVIDER_DEFINITIONS = Symbol('PAYMENTS_AUTH_PROVIDER_DEFINITIONS');
/** Each definition's service instance, by provider name (overridden services included: tests replace them). */
export const PROVIDER_SERVICES = Symbol('PAYMENTS_AUTH_PROVIDER_SERVICES');
