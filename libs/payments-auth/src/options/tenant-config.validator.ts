import type { ConfigIssue } from '../errors/config.error.js';
import { TENANT_ID_PATTERN } from '../errors/unknown-tenant.error.js';
import {
  BlinkTenantConfig,
  BlnkApiKeyTenantConfig,
  BlnkCoreTenantConfig,
  BlnkOAuthTenantConfig,
  DEFAULT_BLINK_BASE_URL,
  DEFAULT_BLNK_BASE_URL,
  TenantConfig,
} from './payments-auth-options.interface.js';
import { BLNK_MODES, BLNK_SCHEMA_BY_MODE, BlinkTenantConfigSchema } from './tenant-config.schema.js';
import { collectIssues } from './validation-issues.js';

/** The tenant-id rule lives beside UnknownTenantError, the lowest layer that needs it. */
export { TENANT_ID_PATTERN };

export type ValidatedBlinkConfig = BlinkTenantConfig & { baseUrl: string };
export type ValidatedBlnkConfig =
  | (BlnkOAuthTenantConfig & { mode: 'oauth'; baseUrl: string })
  | (BlnkApiKeyTenantConfig & { baseUrl: string })
  | BlnkCoreTenantConfig;

export interface ValidatedTenantConfig {
  blink?: ValidatedBlinkConfig;
  blnk?: ValidatedBlnkConfig;
}

export type TenantValidationResult =
  | { ok: true; config: ValidatedTenantConfig }
  | { ok: false; issues: ConfigIssue[] };

/** Validates one tenant's configuration and fills in defaults. `path` is e.g. `tenants.acme`. */
export function validateTenantConfig(raw: unknown, path: string): TenantValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [{ path, problem: 'must be an object' }] };
  }
  const { blink, blnk, ...unknownFields } = raw as Record<string, unknown>;
  const issues: ConfigIssue[] = Object.keys(unknownFields).map((field) => ({
    path: `${path}.${field}`,
    problem: 'is not a known option (expected blink and/or blnk)',
  }));
  if (blink === undefined && blnk === undefined) {
    issues.push({ path, problem: 'must configure at least one provider (blink or blnk)' });
  }
  if (blink !== undefined) issues.push(...collectIssues(BlinkTenantConfigSchema, blink, `${path}.blink`));
  if (blnk !== undefined) issues.push(...validateBlnk(blnk, `${path}.blnk`));
  if (issues.length > 0) return { ok: false, issues };

  const config: ValidatedTenantConfig = {};
  if (blink !== undefined) config.blink = normalizeBlink(blink as BlinkTenantConfig);
  if (blnk !== undefined) config.blnk = normalizeBlnk(blnk as ValidatedBlnkConfig);
  return { ok: true, config };
}

function validateBlnk(blnk: unknown, path: string): ConfigIssue[] {
  const mode = typeof blnk === 'object' && blnk !== null ? (blnk as { mode?: unknown }).mode ?? 'oauth' : 'oauth';
  if (!BLNK_MODES.includes(mode as (typeof BLNK_MODES)[number])) {
    return [{ path: `${path}.mode`, problem: `must be one of ${BLNK_MODES.join(', ')}` }];
  }
  return collectIssues(BLNK_SCHEMA_BY_MODE[mode as (typeof BLNK_MODES)[number]], blnk, path);
}

const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

// Object.assign onto a literal rather than `{ ...config, extra }`: V8 gives every object built by a spread
// plus a new property its own hidden class: a few hundred bytes per tenant, measured by the scale benchmark.
function normalizeBlink(blink: BlinkTenantConfig): ValidatedBlinkConfig {
  return Object.assign({}, blink, { baseUrl: withoutTrailingSlash(blink.baseUrl ?? DEFAULT_BLINK_BASE_URL) });
}

function normalizeBlnk(blnk: ValidatedBlnkConfig): ValidatedBlnkConfig {
  if (blnk.mode === 'core') return Object.assign({}, blnk, { baseUrl: withoutTrailingSlash(blnk.baseUrl) });
  const baseUrl = withoutTrailingSlash(blnk.baseUrl ?? DEFAULT_BLNK_BASE_URL);
  if (blnk.mode === 'api-key') return Object.assign({}, blnk, { baseUrl });
  return Object.assign({}, blnk, { mode: 'oauth' as const, baseUrl }); // also when given `mode: undefined`
}

export function tenantIdProblem(tenantId: unknown): string | undefined {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    return 'tenant ids must be 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';
  }
  return undefined;
}

export type { TenantConfig };
