import { Equals, IsBoolean, IsDefined, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { ConfigIssue } from '../../errors/config.error.js';
import { isPathUnder, isUnder, withoutTrailingSlash } from '../../options/base-url.js';
import {
  type BlnkApiKeyTenantConfig,
  type BlnkCoreTenantConfig,
  type BlnkOAuthTenantConfig,
  DEFAULT_BLNK_BASE_URL,
} from '../../options/payments-auth-options.interface.js';
import { IsProviderBaseUrl } from '../../options/provider-base-url.validator.js';
import type { ProviderRules } from '../../options/provider-rules.js';
import { collectIssues } from '../../options/validation-issues.js';

declare module '../../errors/payments-auth.error.js' {
  interface ProviderNames {
    /** Blnk Finance: Cloud (OAuth or API key) and self-hosted Core. */
    blnk: true;
  }
}

export const BLNK_TOKEN_PATH = '/oauth/token';

export type BlnkOAuthConfig = BlnkOAuthTenantConfig & { mode: 'oauth'; baseUrl: string };
export type ValidatedBlnkConfig =
  BlnkOAuthConfig | (BlnkApiKeyTenantConfig & { baseUrl: string }) | BlnkCoreTenantConfig;

/*
 * class-validator schemas of `tenants.<id>.blnk`, one per mode, mirroring the public interfaces; run with
 * `forbidNonWhitelisted`, so a misspelt field (`apikey`) is reported instead of silently ignored.
 */
class BlnkOAuthTenantConfigSchema {
  @IsOptional() @Equals('oauth') mode?: 'oauth';
  @IsString() @IsNotEmpty() @MaxLength(1024) clientId!: string;
  @IsString() @IsNotEmpty() @MaxLength(1024) clientSecret!: string;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(4096) refreshToken?: string;
  @IsOptional() @IsProviderBaseUrl() baseUrl?: string;
  @IsOptional() @IsString() @IsNotEmpty() instanceId?: string;
  @IsOptional() @IsProviderBaseUrl() authorizationUrl?: string;
  @IsOptional() @IsBoolean() pkce?: boolean;
}

class BlnkApiKeyTenantConfigSchema {
  @Equals('api-key') mode!: 'api-key';
  @IsString() @IsNotEmpty() @MaxLength(4096) apiKey!: string;
  @IsOptional() @IsProviderBaseUrl() baseUrl?: string;
  @IsOptional() @IsString() @IsNotEmpty() instanceId?: string;
}

class BlnkCoreTenantConfigSchema {
  @Equals('core') mode!: 'core';
  @IsString() @IsNotEmpty() @MaxLength(4096) apiKey!: string;
  @IsDefined() @IsProviderBaseUrl() baseUrl!: string;
}

const BLNK_MODES = ['oauth', 'api-key', 'core'] as const;
const BLNK_SCHEMA_BY_MODE = {
  oauth: BlnkOAuthTenantConfigSchema,
  'api-key': BlnkApiKeyTenantConfigSchema,
  core: BlnkCoreTenantConfigSchema,
} as const;

function modeIssues(blnk: unknown, path: string): ConfigIssue[] {
  const mode = typeof blnk === 'object' && blnk !== null ? ((blnk as { mode?: unknown }).mode ?? 'oauth') : 'oauth';
  if (!BLNK_MODES.includes(mode as (typeof BLNK_MODES)[number]))
    return [{ path: `${path}.mode`, problem: `must be one of ${BLNK_MODES.join(', ')}` }];
  return collectIssues(BLNK_SCHEMA_BY_MODE[mode as (typeof BLNK_MODES)[number]], blnk, path);
}

// Object.assign onto a literal rather than `{ ...config, extra }`: V8 gives every object built by a spread plus a
// new property its own hidden class: a few hundred bytes per tenant, measured by the scale benchmark.
function normalized(blnk: ValidatedBlnkConfig): ValidatedBlnkConfig {
  if (blnk.mode === 'core') return Object.assign({}, blnk, { baseUrl: withoutTrailingSlash(blnk.baseUrl) });
  const baseUrl = withoutTrailingSlash(blnk.baseUrl ?? DEFAULT_BLNK_BASE_URL);
  if (blnk.mode === 'api-key') return Object.assign({}, blnk, { baseUrl });
  return Object.assign({}, blnk, { mode: 'oauth' as const, baseUrl }); // also when given `mode: undefined`
}

export function pkceOffWarning(tenant: string): string {
  return (
    `Blnk tenant '${tenant}' has pkce: false: an intercepted authorization code can be exchanged by whoever holds it. ` +
    'Leave PKCE on unless the authorization server refuses it'
  );
}

/**
 * Blnk: OAuth with rotating refresh tokens (a grant to keep), a Cloud API key (`Authorization: Bearer`), or a
 * self-hosted Core key (`X-Blnk-Key`, at the tenant's own base URL).
 */
export const BLNK_RULES: ProviderRules<ValidatedBlnkConfig> = {
  name: 'blnk',
  defaultBaseUrls: [DEFAULT_BLNK_BASE_URL],
  validate(raw, path) {
    const issues = modeIssues(raw, path);
    return issues.length > 0 ? { ok: false, issues } : { ok: true, config: normalized(raw as ValidatedBlnkConfig) };
  },
  baseUrlOf: (config) => config.baseUrl,
  target(url, config) {
    if (!isUnder(url, config.baseUrl)) return undefined;
    return {
      provider: 'blnk',
      baseUrl: config.baseUrl,
      instanceId: config.mode === 'core' ? undefined : config.instanceId,
      isTokenEndpoint: config.mode === 'oauth' && isPathUnder(url, config.baseUrl, BLNK_TOKEN_PATH),
      renewable: config.mode === 'oauth',
      headerName: config.mode === 'core' ? 'X-Blnk-Key' : 'Authorization',
    };
  },
  // Raw or validated: `mode` is optional and means OAuth.
  holdsRotatingGrant: (raw) =>
    typeof raw === 'object' &&
    raw !== null &&
    [undefined, 'oauth'].includes((raw as { mode?: unknown }).mode as string | undefined),
  warnings: (tenant, config) => (config.mode === 'oauth' && config.pkce === false ? [pkceOffWarning(tenant)] : []),
};
