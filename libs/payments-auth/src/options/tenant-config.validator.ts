import type { ConfigIssue } from '../errors/config.error.js';
import { TENANT_ID_PATTERN } from '../errors/unknown-tenant.error.js';
import type { ProviderRules, ValidatedTenantConfig } from './provider-rules.js';
import type { TenantConfig } from './payments-auth-options.interface.js';

/** The tenant-id rule lives beside UnknownTenantError, the lowest layer that needs it. */
export { TENANT_ID_PATTERN };
export type { ValidatedTenantConfig };

export type TenantValidationResult = { ok: true; config: ValidatedTenantConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates one tenant's configuration and fills in defaults, each provider's part by that provider's rules.
 * `path` is e.g. `tenants.acme`.
 */
export function validateTenantConfig(
  raw: unknown,
  path: string,
  providers: readonly ProviderRules[],
): TenantValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [{ path, problem: 'must be an object' }] };
  }
  const fields = raw as Record<string, unknown>;
  const names = providers.map((provider) => provider.name);
  const expected = names.join(' and/or ');
  const issues: ConfigIssue[] = Object.keys(fields)
    .filter((field) => !names.includes(field as ProviderRules['name']))
    .map((field) => ({ path: `${path}.${field}`, problem: `is not a known option (expected ${expected})` }));
  const used = providers.filter((provider) => fields[provider.name] !== undefined);
  if (used.length === 0) issues.push({ path, problem: `must configure at least one provider (${names.join(' or ')})` });
  // Built on a literal in the providers' order: every tenant's configuration then shares one hidden class.
  const config: Record<string, object> = {};
  for (const provider of used) {
    const result = provider.validate(fields[provider.name], `${path}.${provider.name}`);
    if (result.ok) config[provider.name] = result.config;
    else issues.push(...result.issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config };
}

export function tenantIdProblem(tenantId: unknown): string | undefined {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    return 'tenant ids must be 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';
  }
  return undefined;
}

export type { TenantConfig };
