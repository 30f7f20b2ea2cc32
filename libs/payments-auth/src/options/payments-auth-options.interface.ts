import type { CreateAxiosDefaults } from 'axios';
import type { TokenStore } from '../stores/token-store.interface.js';

export const DEFAULT_BLINK_BASE_URL = 'https://secure.blinkpayment.co.uk';
export const DEFAULT_BLNK_BASE_URL = 'https://api.cloud.blnkfinance.com';

/** Blink Payment: `api_key` + `secret_key` are exchanged for a 30-minute JWT; there is no refresh grant. */
export interface BlinkTenantConfig {
  apiKey: string;
  secretKey: string;
  /** Defaults to `https://secure.blinkpayment.co.uk` (sandbox accounts use the same host with their own keys). */
  baseUrl?: string;
  sendBlinkReceipt?: boolean;
  addressPostcodeRequired?: boolean;
  enableMotoPayments?: boolean;
  applicationName?: string;
  applicationDescription?: string;
  sourceSite?: string;
}

/** Blnk Cloud OAuth: refresh-token grant with rotation. */
export interface BlnkOAuthTenantConfig {
  mode?: 'oauth';
  clientId: string;
  clientSecret: string;
  /**
   * The first refresh token only. Once a rotated refresh token is in the store it always wins over this seed,
   * because the seed has been spent and reusing it would revoke the grant.
   */
  refreshToken?: string;
  /** Defaults to `https://api.cloud.blnkfinance.com`. */
  baseUrl?: string;
  instanceId?: string;
  /**
   * Where `BlnkTokenService.createAuthorizationRequest` sends the user's browser. Default
   * `{baseUrl}/oauth/authorize`.
   */
  authorizationUrl?: string;
  /**
   * PKCE (RFC 7636, S256) on authorization requests, as RFC 9700 recommends for every code client. Default
   * true; false only for a server that refuses `code_challenge`.
   */
  pkce?: boolean;
}

/** Blnk Cloud static API key, sent as `Authorization: Bearer blnk_...`. */
export interface BlnkApiKeyTenantConfig {
  mode: 'api-key';
  apiKey: string;
  /** Defaults to `https://api.cloud.blnkfinance.com`. */
  baseUrl?: string;
  instanceId?: string;
}

/** Self-hosted Blnk Core, static key sent as `X-Blnk-Key`. */
export interface BlnkCoreTenantConfig {
  mode: 'core';
  apiKey: string;
  /** Required: the address of your own Blnk Core deployment. */
  baseUrl: string;
}

export type BlnkTenantConfig = BlnkOAuthTenantConfig | BlnkApiKeyTenantConfig | BlnkCoreTenantConfig;

export interface TenantConfig {
  blink?: BlinkTenantConfig;
  blnk?: BlnkTenantConfig;
}

export interface PaymentsAuthModuleOptions {
  /** Tenants known at start-up, by tenant id (`[A-Za-z0-9._-]`, up to 128 characters). */
  tenants: Record<string, TenantConfig>;
  /**
   * The tenant for `PaymentsHttpService` requests with no `paymentsAuth.tenant` and no tenant context. Service
   * methods never use it: they always name their tenant.
   */
  defaultTenant?: string;
  /**
   * Looks up tenants that are not in `tenants` (e.g. from a database). Called on a tenant's first use,
   * concurrent lookups shared; the result is validated like static config and kept for `resolveTenantTtlMs`,
   * then looked up again in the background. `undefined` (or `null`) means unknown tenant: on a later lookup,
   * the tenant is removed (renewals stop, its stored records are deleted). A lookup that throws or returns an
   * invalid configuration keeps the one in use.
   */
  resolveTenant?: (tenantId: string) => Promise<TenantConfig | undefined | null>;
  /**
   * How long a `resolveTenant` result is used before it is looked up again, so every instance picks up changed
   * credentials and removed tenants by itself. Default 300 000 ms (5 minutes), at least 1 000;
   * `Number.POSITIVE_INFINITY` keeps results for the life of the process.
   */
  resolveTenantTtlMs?: number;
  /** Deadline for one token-endpoint call, connection to last byte. Default 10 000 ms. */
  tokenCallTimeoutMs?: number;
  /** Renew a token this long before it expires. Default 60 000 ms. */
  renewalMarginMs?: number;
  /**
   * The margin never exceeds this fraction of the token's lifetime, so short-lived tokens cannot cause a
   * renewal storm (a 60 s margin on a 30 s token would renew on every call). Default 0.5.
   */
  renewalMarginMaxRatio?: number;
  /**
   * Where tokens (and Blnk's rotating refresh tokens) are kept. Default: a `FileTokenStore` in
   * `./.payments-auth`, so a rotated refresh token survives a restart. Use `MemoryTokenStore` for tests or
   * when nothing must survive a restart.
   */
  store?: TokenStore;
  /** Request header the optional `TenantContextMiddleware` reads the tenant from. Default `x-tenant-id`. */
  tenantHeader?: string;
  /** Defaults for the Axios instance behind `PaymentsHttpService` (timeout, proxy, ...). */
  http?: CreateAxiosDefaults;
  /** Sockets for token calls: a keep-alive pool per provider origin, bounded, with a bounded queue. */
  tokenCallConnections?: Partial<TokenCallConnectionOptions>;
  /** Proactive renewal of tokens in use. On by default; `{ enabled: false }` is reactive-only mode. */
  scheduledRenewal?: Partial<ScheduledRenewalOptions>;
  /** Backoff and circuit breaker for failing token endpoints. */
  resilience?: Partial<ResilienceOptions>;
  /** OpenTelemetry metrics and spans (when the app has `@opentelemetry/api`). */
  telemetry?: Partial<TelemetryOptions>;
}

export interface TelemetryOptions {
  /**
   * Give the time-to-expiry gauge a `payments_auth.tenant` attribute: one series per tenant and provider.
   * Default false (the soonest expiry per provider), since tenant counts can be large. Spans always carry it.
   */
  tenantAttribute: boolean;
}

export interface TokenCallConnectionOptions {
  /** Sockets open at once to one provider origin (scheme, host and port) for token calls. Default 64. */
  maxSocketsPerOrigin: number;
  /**
   * Token calls waiting for one of those sockets, per origin; a call beyond fails at once with
   * ProviderUnavailableError. The token-call deadline starts when a call leaves the queue. Default 50 000.
   */
  maxQueuedPerOrigin: number;
}

export interface ScheduledRenewalOptions {
  /** Default true. The app must import `ScheduleModule.forRoot()` for the timer to be listed in SchedulerRegistry. */
  enabled: boolean;
  /** A tenant whose token nobody asked for in this long is no longer renewed; its token simply expires. Default 30 min. */
  idleTimeoutMs: number;
  /** Renewals are spread over up to this long before the renewal point (capped at 10% of the lifetime). Default 30 s. */
  jitterMs: number;
  /**
   * A token obtained cold (first use of a tenant, a start without stored tokens, an expired token) has its
   * first renewal at a random point of its renewal window instead of at renewAt, so tenants warmed in a burst
   * renew spread over the lifetime ever after, not in the same burst every lifetime. Costs at most one early
   * token call per such token. Default true.
   */
  spreadFirstRenewal: boolean;
  /** Scheduled renewals running at once, across all tenants. Default 16. */
  maxConcurrentRenewals: number;
  /**
   * Scheduled renewals started per second, per provider, in this process; the rest wait for the next second.
   * For providers with a global rate limit. Token calls a caller waits for are never held back. Default none.
   */
  maxRenewalsPerSecond?: number;
}

/** No wait (backoff step, open circuit, provider `Retry-After`) lasts longer than 5 minutes; larger values are refused. */
export interface ResilienceOptions {
  /** First backoff step after a failed token call; doubles per consecutive failure, full jitter. Default 500 ms. */
  backoffBaseMs: number;
  /** Default 60 s. */
  backoffMaxMs: number;
  /** Consecutive failures that open a tenant's circuit. Default 5. */
  circuitFailureThreshold: number;
  /** How long an open circuit refuses token calls before one trial. Default 30 s. */
  circuitCooldownMs: number;
}
