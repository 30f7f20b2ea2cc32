import { Equals, IsBoolean, IsDefined, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsProviderBaseUrl } from './provider-base-url.validator.js';

/*
 * class-validator schemas for tenant configuration. They mirror the public interfaces in
 * payments-auth-options.interface.ts; validation is run with `forbidNonWhitelisted`, so a misspelt field
 * (`apikey`) is reported instead of silently ignored.
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

export class BlnkOAuthTenantConfigSchema {
  @IsOptional() @Equals('oauth') mode?: 'oauth';
  @IsString() @IsNotEmpty() @MaxLength(1024) clientId!: string;
  @IsString() @IsNotEmpty() @MaxLength(1024) clientSecret!: string;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(4096) refreshToken?: string;
  @IsOptional() @IsProviderBaseUrl() baseUrl?: string;
  @IsOptional() @IsString() @IsNotEmpty() instanceId?: string;
  @IsOptional() @IsProviderBaseUrl() authorizationUrl?: string;
  @IsOptional() @IsBoolean() pkce?: boolean;
}

export class BlnkApiKeyTenantConfigSchema {
  @Equals('api-key') mode!: 'api-key';
  @IsString() @IsNotEmpty() @MaxLength(4096) apiKey!: string;
  @IsOptional() @IsProviderBaseUrl() baseUrl?: string;
  @IsOptional() @IsString() @IsNotEmpty() instanceId?: string;
}

export class BlnkCoreTenantConfigSchema {
  @Equals('core') mode!: 'core';
  @IsString() @IsNotEmpty() @MaxLength(4096) apiKey!: string;
  @IsDefined() @IsProviderBaseUrl() baseUrl!: string;
}

export const BLNK_MODES = ['oauth', 'api-key', 'core'] as const;

export const BLNK_SCHEMA_BY_MODE = {
  oauth: BlnkOAuthTenantConfigSchema,
  'api-key': BlnkApiKeyTenantConfigSchema,
  core: BlnkCoreTenantConfigSchema,
} as const;

export class BlnkModeSchema {
  @IsOptional() @IsIn(BLNK_MODES) mode?: string;
}
