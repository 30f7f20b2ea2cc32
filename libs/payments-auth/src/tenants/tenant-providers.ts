import { isDeepStrictEqual } from 'node:util';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import type { ProviderName } from '../errors/payments-auth.error.js';
import type { ProviderRules } from '../options/provider-rules.js';
import {
  type ValidatedTenantConfig,
  tenantIdProblem,
  validateTenantConfig,
} from '../options/tenant-config.validator.js';

/** Validates a tenant id and configuration exactly as bootstrap does, with the same error. */
export function validatedTenant(
  tenant: string,
  raw: unknown,
  providers: readonly ProviderRules[],
): ValidatedTenantConfig {
  const path = `tenants.${tenant}`;
  const idProblem = tenantIdProblem(tenant);
  if (idProblem !== undefined) throw new PaymentsAuthConfigError([{ path, problem: idProblem }], tenant);
  const result = validateTenantConfig(raw, path, providers);
  if (!result.ok) throw new PaymentsAuthConfigError(result.issues, tenant);
  return result.config;
}

/** The providers a tenant's configuration uses, in list order. */
export function providersOf(providers: readonly ProviderRules[], config: ValidatedTenantConfig): ProviderName[] {
  return providers.filter((provider) => config[provider.name] !== undefined).map((provider) => provider.name);
}

/** The providers whose configuration an update added, changed or dropped. */
export function changedProviders(
  providers: readonly ProviderRules[],
  previous: ValidatedTenantConfig,
  next: ValidatedTenantConfig,
): ProviderName[] {
  return providers
    .filter((provider) => !isDeepStrictEqual(previous[provider.name], next[provider.name]))
    .map((provider) => provider.name);
}
