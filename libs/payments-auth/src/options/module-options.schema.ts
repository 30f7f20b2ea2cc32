import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';
import { MAX_WAIT_MS } from './wait-bounds.js';

const isFunction = (value: unknown): boolean => typeof value === 'function';
/** Only that it is an object: its members are checked one by one, by path, in stores/store-contract.ts. */
const isTokenStore = (value: unknown): boolean => typeof value === 'object' && value !== null;

/** Module-level knobs; tenants are validated one by one by tenant-config.validator.ts. */
export class ModuleOptionsSchema {
  @IsObject() tenants!: Record<string, unknown>;
  @IsOptional() @IsString() defaultTenant?: string;

  @IsOptional()
  @ValidateBy({
    name: 'isFunction',
    validator: { validate: isFunction, defaultMessage: () => 'resolveTenant must be a function' },
  })
  resolveTenant?: unknown;

  @IsOptional() @IsNumber({ allowInfinity: true, allowNaN: false }) @Min(1_000) resolveTenantTtlMs?: number;

  @IsOptional() @IsInt() @Min(1) @Max(300_000) tokenCallTimeoutMs?: number;
  @IsOptional() @IsInt() @Min(0) renewalMarginMs?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(0.9) renewalMarginMaxRatio?: number;

  @IsOptional()
  @ValidateBy({
    name: 'isTokenStore',
    validator: { validate: isTokenStore, defaultMessage: () => 'store must be a TokenStore object' },
  })
  store?: unknown;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]+$/, { message: 'tenantHeader must be a lower-case header name' })
  tenantHeader?: string;

  @IsOptional() @IsObject() http?: Record<string, unknown>;
  @IsOptional() @IsObject() tokenCallConnections?: Record<string, unknown>;
  @IsOptional() @IsObject() scheduledRenewal?: Record<string, unknown>;
  @IsOptional() @IsObject() resilience?: Record<string, unknown>;
  @IsOptional() @IsObject() telemetry?: Record<string, unknown>;
}

export class TelemetryOptionsSchema {
  @IsOptional() @IsBoolean() tenantAttribute?: boolean;
}

export class TokenCallConnectionOptionsSchema {
  @IsOptional() @IsInt() @Min(1) @Max(10_000) maxSocketsPerOrigin?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) maxQueuedPerOrigin?: number;
}

export class ScheduledRenewalOptionsSchema {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsInt() @Min(1_000) idleTimeoutMs?: number;
  @IsOptional() @IsInt() @Min(0) jitterMs?: number;
  @IsOptional() @IsBoolean() spreadFirstRenewal?: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(1_000) maxConcurrentRenewals?: number;
  @IsOptional() @IsInt() @Min(1) maxRenewalsPerSecond?: number;
}

/** Every wait is at most MAX_WAIT_MS (5 minutes), whatever is configured or a provider says. */
export class ResilienceOptionsSchema {
  @IsOptional() @IsInt() @Min(1) @Max(MAX_WAIT_MS) backoffBaseMs?: number;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_WAIT_MS) backoffMaxMs?: number;
  @IsOptional() @IsInt() @Min(1) circuitFailureThreshold?: number;
  @IsOptional() @IsInt() @Min(1) @Max(MAX_WAIT_MS) circuitCooldownMs?: number;
}
