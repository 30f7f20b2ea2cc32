import { readFileSync } from 'node:fs';
import type { TenantConfig } from 'nestjs-payments-auth';

const PLACEHOLDER = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Reads a tenants JSON file whose values may be `${ENV_VAR}` or `${ENV_VAR:-default}` placeholders, so secrets
 * stay in the environment (or `.env`) and the file can be committed. A placeholder that expands to an empty
 * string removes its field (optional fields such as a seed refresh token). Unset variables without a default
 * are reported together, by name.
 */
export function loadTenantsFile(
  file: string,
  lookup: (name: string) => string | undefined,
): Record<string, TenantConfig> {
  const missing = new Set<string>();
  const expand = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
        const resolved = lookup(name) ?? fallback;
        if (resolved === undefined) missing.add(name);
        return resolved ?? '';
      });
    }
    if (Array.isArray(value)) return value.map(expand);
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value).map(([key, inner]) => [key, expand(inner)] as const);
      return Object.fromEntries(entries.filter(([, inner]) => inner !== ''));
    }
    return value;
  };
  const tenants = expand(JSON.parse(readFileSync(file, 'utf8'))) as Record<string, TenantConfig>;
  if (missing.size > 0) {
    throw new Error(`${file} needs these environment variables: ${[...missing].sort().join(', ')}`);
  }
  return tenants;
}
