// The public API. Everything not listed here is internal and may change without notice.
export { PaymentsAuthModule } from './payments-auth.module';
export {
  PAYMENTS_AUTH_MODULE_OPTIONS,
  PAYMENTS_AUTH_OPTIONS_TYPE,
  PAYMENTS_AUTH_ASYNC_OPTIONS_TYPE,
} from './payments-auth.module-definition';
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
} from './options/payments-auth-options.interface';
export { OPTION_DEFAULTS } from './options/module-options.validator';
export { BlinkTokenService } from './providers/blink/blink-token.service';
export { BlnkTokenService, type BlnkCredentialInfo, type BlnkCredentialMode } from './providers/blnk/blnk-token.service';
export type { AuthHeader } from './engine/provider-token.service';
export type { TokenSnapshot } from './engine/token-snapshot.interface';
export { TenantRegistry } from './engine/tenant-registry';
export type { StoredToken, TokenStore } from './stores/token-store.interface';
export { MemoryTokenStore } from './stores/memory.store';
export { FileTokenStore, type FileTokenStoreOptions } from './stores/file.store';
export type { TokenEncryptionOptions } from './stores/token-cipher';
export { PaymentsHttpService } from './http/payments-http.service';
export { PaymentsAuthInterceptor } from './http/payments-auth.interceptor';
export { TenantContextMiddleware } from './http/tenant-context.middleware';
export { runWithTenant, currentTenant } from './http/tenant-context';
export type { PaymentsAuthRequestOptions } from './http/axios-augmentation';
export { PaymentsAuthEvents } from './observability/payments-auth-events';
export type { PaymentsAuthEvent, PaymentsAuthEventType } from './observability/payments-auth-event.interface';
export { PaymentsAuthMetrics, type PaymentsAuthCounters } from './observability/payments-auth-metrics';
export {
  PaymentsAuthStatus,
  type PaymentsAuthStatusReport,
  type PaymentsAuthStoreReport,
} from './observability/payments-auth-status';
// Optional integrations live behind their own entry points, so their packages stay optional peers:
// `nestjs-payments-auth/redis` (RedisTokenStore, needs ioredis) and `nestjs-payments-auth/terminus`
// (PaymentsAuthHealthIndicator, needs @nestjs/terminus).
export { RefreshScheduler, REFRESH_TIMER_NAME } from './refresh/refresh-scheduler';
export type { RefresherOptions, ResilienceOptions } from './options/payments-auth-options.interface';
export { MAX_WAIT_MS } from './refresh/wait-bounds';
export { MAX_TOKEN_LIFETIME_MS, MIN_TOKEN_CALL_INTERVAL_MS } from './engine/token-lifetime';
export type { TokenState } from './engine/token-snapshot.interface';
export * from './errors';
