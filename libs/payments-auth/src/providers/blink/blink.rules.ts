import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { isPathUnder, isUnder, withoutTrailingSlash } from '../../options/base-url.js';
import { type BlinkTenantConfig, DEFAULT_BLINK_BASE_URL } from '../../options/payments-auth-options.interface.js';
import { IsProviderBaseUrl } from '../../options/provider-base-url.validator.js';
import type { ProviderRules } from '../../options/provider-rules.js';
import { collectIssues } from '../../options/validation-issues.js';

declare module '../../errors/payments-auth.error.js' {
  interface ProviderNames {
    /** Blink Payment. */
    blink: true;
  }
}

export const BLINK_TOKEN_PATH = '/api/pay/v1/tokens';

export type ValidatedBlinkConfig = BlinkTenantConfig & { baseUrl: string };

/**
 * class-validator schema of `tenants.<id>.blink`, mirroring BlinkTenantConfig; run with `forbidNonWhitelisted`,
 * so a misspelt field (`apikey`) is reported instead of silently ignored.
 */
export class BlinkTenantConfigSchema {
  @IsString() @IsNotEmpty() @MaxLength(1024) apiKey!: string;
  @IsString() @IsNotEmpty() @MaxLength(1024) secretKey!: string;
  @IsOptional() @IsProviderBaseUrl() baseUrl?: string;
  @IsOptional() @IsBoolean() sendBlinkReceipt?: boolean;
  @IsOptional() @IsBoolean() addressPostcodeRequired?: boolean;
  @IsOptional() @IsBoolean() enableMotoPayments?: boolean;
  @IsOptional() @IsString() applicationName?: string;
  @IsOptional() @IsString() applicationDescription?: string;
  @IsOptional() @IsString() sourceSite?: string;
}

/** Blink: a key pair minting 30-minute JWTs, sent as `Authorization: Bearer`; no grant to keep. */
export const BLINK_RULES: ProviderRules<ValidatedBlinkConfig> = {
  name: 'blink',
  defaultBaseUrls: [DEFAULT_BLINK_BASE_URL],
  validate(raw, path) {
    const issues = collectIssues(BlinkTenantConfigSchema, raw, path);
    if (issues.length > 0) return { ok: false, issues };
    const blink = raw as BlinkTenantConfig;
    // Object.assign onto a literal rather than `{ ...config, extra }`: V8 gives every object built by a spread
    // plus a new property its own hidden class: a few hundred bytes per tenant, measured by the scale benchmark.
    return {
      ok: true,
      config: Object.assign({}, blink, { baseUrl: withoutTrailingSlash(blink.baseUrl ?? DEFAULT_BLINK_BASE_URL) }),
    };
  },
  baseUrlOf: (config) => config.baseUrl,
  target(url, config) {
    if (!isUnder(url, config.baseUrl)) return undefined;
    return {
      provider: 'blink',
      baseUrl: config.baseUrl,
      isTokenEndpoint: isPathUnder(url, config.baseUrl, BLINK_TOKEN_PATH),
      renewable: true,
      headerName: 'Authorization',
    };
  },
  holdsRotatingGrant: () => false,
  warnings: () => [],
};
