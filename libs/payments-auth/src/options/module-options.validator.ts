import { ConfigIssue, PaymentsAuthConfigError } from '../errors/config.error.js';
import { storeContractIssues } from '../stores/store-contract.js';
import type { TokenStore } from '../stores/token-store.interface.js';
import {
  ModuleOptionsSchema,
  ResilienceOptionsSchema,
  ScheduledRenewalOptionsSchema,
  TelemetryOptionsSchema,
  TokenCallConnectionOptionsSchema,
} from './module-options.schema.js';
import type { CreateAxiosDefaults } from 'axios';
import type {
  PaymentsAuthModuleOptions,
  ResilienceOptions,
  ScheduledRenewalOptions,
  TelemetryOptions,
  TenantConfig,
  TokenCallConnectionOptions,
} from './payments-auth-options.interface.js';
import { defaultStore, defaultStoreIssue } from './default-store.js';
import { collectIssues } from './validation-issues.js';
import type { ProviderRules } from './provider-rules.js';
import { ValidatedTenantConfig, tenantIdProblem, validateTenantConfig } from './tenant-config.validator.js';

export const OPTION_DEFAULTS = {
  tokenCallTimeoutMs: 10_000,
  resolveTenantTtlMs: 300_000,
  renewalMarginMs: 60_000,
  renewalMarginMaxRatio: 0.5,
  tenantHeader: 'x-tenant-id',
  tokenCallConnections: { maxSocketsPerOrigin: 64, maxQueuedPerOrigin: 50_000 },
  scheduledRenewal: {
    enabled: true,
    idleTimeoutMs: 30 * 60_000,
    jitterMs: 30_000,
    spreadFirstRenewal: true,
    maxConcurrentRenewals: 16,
  },
  resilience: { backoffBaseMs: 500, backoffMaxMs: 60_000, circuitFailureThreshold: 5, circuitCooldownMs: 30_000 },
  telemetry: { tenantAttribute: false },
} as const;

/** The module options after validation, with every default applied: what the library's parts inject. */
export interface ValidatedOptions {
  /** The static tenants, validated; a Map, because at 10 000 tenants it is the one index the registry uses. */
  tenants: ReadonlyMap<string, ValidatedTenantConfig>;
  defaultTenant?: string;
  resolveTenant?: (tenantId: string) => Promise<TenantConfig | undefined | null>;
  resolveTenantTtlMs: number;
  tokenCallTimeoutMs: number;
  renewalMarginMs: number;
  renewalMarginMaxRatio: number;
  store: TokenStore;
  tenantHeader: string;
  http: CreateAxiosDefaults;
  tokenCallConnections: TokenCallConnectionOptions;
  scheduledRenewal: ScheduledRenewalOptions;
  resilience: ResilienceOptions;
  telemetry: TelemetryOptions;
}

/**
 * Validates the raw module options once, at bootstrap, and applies defaults. Throws one
 * PaymentsAuthConfigError naming every bad field by path; values are never printed. Each tenant's provider
 * parts are checked by that provider's rules.
 */
export function validateModuleOptions(
  raw: PaymentsAuthModuleOptions,
  providers: readonly ProviderRules[],
): ValidatedOptions {
  if (typeof raw !== 'object' || raw === null) {
    throw new PaymentsAuthConfigError([{ path: 'options', problem: 'must be an object' }]);
  }
  const issues: ConfigIssue[] = collectModuleIssues(raw);
  const tenants = new Map<string, ValidatedTenantConfig>();
  const rawTenants = isPlainObject(raw.tenants) ? raw.tenants : {};
  for (const [tenantId, tenantConfig] of Object.entries(rawTenants)) {
    const idProblem = tenantIdProblem(tenantId);
    if (idProblem) issues.push({ path: `tenants.${tenantId}`, problem: idProblem });
    const result = validateTenantConfig(tenantConfig, `tenants.${tenantId}`, providers);
    if (result.ok) tenants.set(tenantId, result.config);
    else issues.push(...result.issues);
  }
  if (isPlainObject(raw.tokenCallConnections)) {
    issues.push(...collectIssues(TokenCallConnectionOptionsSchema, raw.tokenCallConnections, 'tokenCallConnections'));
  }
  if (isPlainObject(raw.scheduledRenewal))
    issues.push(...collectIssues(ScheduledRenewalOptionsSchema, raw.scheduledRenewal, 'scheduledRenewal'));
  if (isPlainObject(raw.resilience))
    issues.push(...collectIssues(ResilienceOptionsSchema, raw.resilience, 'resilience'));
  if (isPlainObject(raw.telemetry)) issues.push(...collectIssues(TelemetryOptionsSchema, raw.telemetry, 'telemetry'));
  issues.push(...defaultTenantIssues(raw, rawTenants));
  // `store: null` (an unset variable passed along) means the default store too, and is held to the same rules.
  const storeIssue = raw.store === undefined || raw.store === null ? defaultStoreIssue(raw, providers) : undefined;
  if (storeIssue !== undefined) issues.push(storeIssue);
  if (typeof raw.store === 'object' && raw.store !== null) issues.push(...storeContractIssues(raw.store));
  if (issues.length > 0) throw new PaymentsAuthConfigError(issues);

  return {
    tenants,
    defaultTenant: raw.defaultTenant,
    resolveTenant: raw.resolveTenant,
    resolveTenantTtlMs: raw.resolveTenantTtlMs ?? OPTION_DEFAULTS.resolveTenantTtlMs,
    tokenCallTimeoutMs: raw.tokenCallTimeoutMs ?? OPTION_DEFAULTS.tokenCallTimeoutMs,
    renewalMarginMs: raw.renewalMarginMs ?? OPTION_DEFAULTS.renewalMarginMs,
    renewalMarginMaxRatio: raw.renewalMarginMaxRatio ?? OPTION_DEFAULTS.renewalMarginMaxRatio,
    store: raw.store ?? defaultStore(),
    tenantHeader: raw.tenantHeader ?? OPTION_DEFAULTS.tenantHeader,
    http: raw.http ?? {},
    tokenCallConnections: { ...OPTION_DEFAULTS.tokenCallConnections, ...raw.tokenCallConnections },
    scheduledRenewal: { ...OPTION_DEFAULTS.scheduledRenewal, ...raw.scheduledRenewal },
    resilience: { ...OPTION_DEFAULTS.resilience, ...raw.resilience },
    telemetry: { ...OPTION_DEFAULTS.telemetry, ...raw.telemetry },
  };
}

function collectModuleIssues(raw: PaymentsAuthModuleOptions): ConfigIssue[] {
  // Tenants get their own per-tenant paths below; the schema only checks that `tenants` is an object.
  const tenantsPlaceholder = isPlainObject(raw.tenants) ? {} : raw.tenants;
  return collectIssues(ModuleOptionsSchema, { ...raw, tenants: tenantsPlaceholder }, '').map((issue) => ({
    ...issue,
    path: issue.path.slice(1),
  }));
}

/** An own property only: `in` would accept `constructor` or `toString` as a configured tenant. */
function defaultTenantIssues(raw: PaymentsAuthModuleOptions, rawTenants: Record<string, unknown>): ConfigIssue[] {
  const { defaultTenant } = raw;
  if (typeof defaultTenant !== 'string') return []; // absent, or reported by the schema
  const idProblem = tenantIdProblem(defaultTenant);
  if (idProblem !== undefined) return [{ path: 'defaultTenant', problem: idProblem }];
  if (!Object.hasOwn(rawTenants, defaultTenant) && raw.resolveTenant === undefined) {
    return [{ path: 'defaultTenant', problem: 'names a tenant that is not in tenants' }];
  }
  return [];
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
