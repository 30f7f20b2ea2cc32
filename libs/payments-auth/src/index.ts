// The public API. Everything not listed here is internal and may change without notice.

// Each provider adds its name to ProviderName (declaration merging) in its rules file: imported here so that
// the published declarations reach every augmentation (a consumer would otherwise see only some names).
import './providers/blink/blink.rules.js';
import './providers/blnk/blnk.rules.js';
export { PaymentsAuthModule } from './payments-auth.module.js';
export {
  PAYMENTS_AUTH_MODULE_OPTIONS,
  PaymentsAuthConfigurableModule,
  type PaymentsAuthForRootOptions,
  type PaymentsAuthForRootAsyncOptions,
  type PaymentsAuthOptionsFactory,
} from './payments-auth.module-definition.js';
export {
  DEFAULT_BLINK_BASE_URL,
  DEFAULT_BLNK_BASE_URL,
  type PaymentsAuthModuleOptions,
  type TenantConfig,
  type BlinkTenantConfig,
  type BlnkTenantConfig,
  type BlnkOAuthTenantConfig,
  type BlnkApiKeyTenantConfig,
  type BlnkCoreTenantConfig,
} from './options/payments-auth-options.interface.js';
export { BlinkTokenService } from './providers/blink/blink-token.service.js';
export { BlnkTokenService, type BlnkAuthorizationResult } from './providers/blnk/blnk-token.service.js';
export { AuthorizationError, type AuthorizationErrorReason } from './providers/blnk/authorization.error.js';
export type {
  BlnkAuthorizationRequestOptions,
  BlnkAuthorizationRequest,
  BlnkAuthorizationCallback,
  BlnkAuthorizationExpectation,
} from './providers/blnk/blnk-authorization.js';
export { PaymentsAuthTenants, type TenantSetOutcome } from './tenants/payments-auth-tenants.js';
export type {
  BlinkAuthHeaders,
  BlnkAuthHeaders,
  CredentialInfo,
  BlinkCredentialInfo,
  BlinkCredentialMode,
  BlnkCredentialInfo,
  BlnkCredentialMode,
} from './providers/credential-info.js';
export type { TokenSnapshot, BlinkTokenDetails, BlnkTokenDetails } from './engine/token-snapshot.interface.js';
export type {
  StoredToken,
  TokenStore,
  StoreLeases,
  LeasedRead,
  StoreGenerations,
  StoreDurability,
  StoreGeneration,
  ResealReport,
  StoreAudit,
  StoreDescription,
} from './stores/token-store.interface.js';
export { MemoryTokenStore } from './stores/memory.store.js';
export { FileTokenStore, type FileTokenStoreOptions } from './stores/file.store.js';
export type { TokenEncryptionOptions } from './stores/token-cipher.js';
export { PaymentsHttpService } from './http/payments-http.service.js';
export { PaymentsAuthExceptionFilter } from './http/payments-auth-exception.filter.js';
export { paymentsAuthErrorResponse, type PaymentsAuthErrorResponse } from './http/error-response.js';
export { PaymentsAuthAxiosInterceptor } from './http/payments-auth-axios.interceptor.js';
export { TenantContextMiddleware, type TenantRequest } from './http/tenant-context.middleware.js';
export { runWithTenant, currentTenant } from './http/tenant-context.js';
export type {
  PaymentsAuthRequestMethods,
  PaymentsAuthRequestOptions,
  NestAxiosInstance,
  PaymentsAxiosInstance,
  PaymentsRequestConfig,
  PaymentsResponse,
} from './http/payments-request-config.js';
export { PaymentsAuthEvents } from './observability/payments-auth-events.js';
export type { PaymentsAuthEvent, PaymentsAuthEventType } from './observability/payments-auth-event.interface.js';
export { PaymentsAuthMetrics, type PaymentsAuthCounters } from './observability/payments-auth-metrics.js';
export {
  PaymentsAuthStatus,
  type PaymentsAuthStatusReport,
  type PaymentsAuthStoreReport,
} from './health/payments-auth-status.js';
// Optional integrations live behind their own entry points, so their packages stay optional peers:
// `nestjs-payments-auth/redis` (RedisTokenStore, needs ioredis) and `nestjs-payments-auth/terminus`
// (PaymentsAuthHealthIndicator, needs @nestjs/terminus).
export { RENEWAL_TIMER_NAME } from './renewal/renewal-scheduler.js';
export type {
  ScheduledRenewalOptions,
  ResilienceOptions,
  TokenCallConnectionOptions,
  TelemetryOptions,
} from './options/payments-auth-options.interface.js';
export { MAX_WAIT_MS } from './options/wait-bounds.js';
export {
  tenantsFromEnvironment,
  type EnvironmentSource,
  type TenantsFromEnvironmentOptions,
} from './options/tenants-from-environment.js';
export { MAX_TOKEN_LIFETIME_MS, MIN_TOKEN_CALL_INTERVAL_MS } from './engine/token-lifetime.js';
export type { TokenState } from './engine/token-snapshot.interface.js';
export type { GrantOrigin, GrantSource, SeedState } from './engine/grant-source.js';
export * from './errors/index.js';
