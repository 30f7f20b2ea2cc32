import type { ConfigIssue } from '../errors/config.error.js';
import type { ProviderName } from '../errors/payments-auth.error.js';

/** A request URL found to be under one of a tenant's configured provider base URLs. */
export interface ProviderTarget {
  provider: ProviderName;
  baseUrl: string;
  /** Added as `instance_id` when the request has none (Blnk Cloud). */
  instanceId?: string;
  /** The token endpoint itself never gets a credential header (that is how 401 loops start). */
  isTokenEndpoint: boolean;
  /** Whether a 401 can be cured by a new token (false for static keys). */
  renewable: boolean;
  /** Where the credential goes, e.g. `Authorization`. */
  headerName: string;
}

export type ProviderConfigResult<TConfig extends object> =
  { ok: true; config: TConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * What the layers below the providers know of one provider, and all they know: how its part of a tenant's
 * configuration (`tenants.<id>.<name>`) is checked, where its credentials may go, and what an operator must be
 * told. Each provider's folder defines its own (see providers/provider-list.ts); nothing below names one.
 */
export interface ProviderRules<TConfig extends object = object> {
  readonly name: ProviderName;
  /** Hosts its credentials go to when a tenant names none: requests there without a tenant are refused. */
  readonly defaultBaseUrls: readonly string[];
  /** Checks the raw configuration and fills in defaults; issues are named by path under `path`. */
  validate(raw: unknown, path: string): ProviderConfigResult<TConfig>;
  /** The base URL a tenant's credentials for this provider may be sent under. */
  baseUrlOf(config: TConfig): string;
  /** Whether `url` is this provider's API for a tenant configured with `config`, and how to authorize it. */
  target(url: URL, config: TConfig): ProviderTarget | undefined;
  /**
   * Whether this part of a tenant's configuration (raw, as given, or validated) keeps a rotating grant, whose
   * loss costs the tenant: the store it lives in must then be chosen and encrypted.
   */
  holdsRotatingGrant(raw: unknown): boolean;
  /** What an operator must be told at start-up about a tenant's configuration (never a secret). */
  warnings(tenant: string, config: TConfig): string[];
}

/** The validated configuration of one tenant: each provider's part under its name. */
export type ValidatedTenantConfig = { readonly [provider: string]: object | undefined };

/** The provider rules in a tenant configuration (`undefined` when the tenant does not use that provider). */
export function configFor<TConfig extends object>(
  rules: ProviderRules<TConfig>,
  tenant: ValidatedTenantConfig,
): TConfig | undefined {
  return tenant[rules.name] as TConfig | undefined;
}
