import { type ConfigIssue, PaymentsAuthConfigError } from '../errors/config.error.js';
import type { TenantConfig } from './payments-auth-options.interface.js';

/** Where variables come from: `process.env`, or anything with a `get` (`@nestjs/config`'s ConfigService). */
export type EnvironmentSource = Readonly<Record<string, string | undefined>> | { get(name: string): unknown };

export interface TenantsFromEnvironmentOptions {
  /** The variable holding the tenants' JSON. Default `PAYMENTS_AUTH_TENANTS`. */
  variable?: string;
}

/** `${NAME}`; `$${NAME}` stands for a literal `${NAME}`. */
const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The module's `tenants`, typed, from one variable holding them as JSON (default `PAYMENTS_AUTH_TENANTS`) in
 * which every string may refer to other variables as `${NAME}`: the secrets stay in variables of their own (a
 * secret store, a Kubernetes Secret), and the JSON, which holds none, can live in a ConfigMap or the repository.
 *
 * ```json
 * { "acme": { "blink": { "apiKey": "${ACME_BLINK_API_KEY}", "secretKey": "${ACME_BLINK_SECRET_KEY}" },
 *             "blnk": { "mode": "oauth", "clientId": "acme", "clientSecret": "${ACME_BLNK_CLIENT_SECRET}" } } }
 * ```
 *
 * Throws one PaymentsAuthConfigError naming every problem by path (the variable, a tenant field and the name it
 * refers to), never a value: not valid JSON, not an object of tenants, a reference to a variable that is not set
 * or is empty. The tenants' fields are then validated by the module at bootstrap, like any other configuration.
 */
export function tenantsFromEnvironment(
  source: EnvironmentSource = process.env,
  options: TenantsFromEnvironmentOptions = {},
): Record<string, TenantConfig> {
  const variable = options.variable ?? 'PAYMENTS_AUTH_TENANTS';
  const read = (name: string): unknown =>
    typeof source.get === 'function'
      ? (source.get as (key: string) => unknown)(name)
      : // Own variables only: `${constructor}` must not find Object.prototype's.
        Object.hasOwn(source, name)
        ? (source as Record<string, unknown>)[name]
        : undefined;
  const raw = read(variable);
  if (raw !== undefined && raw !== null && typeof raw !== 'string') {
    // A ConfigService `load` may hand over a parsed value: this variable is read as text, as the environment has it.
    throw new PaymentsAuthConfigError([{ path: variable, problem: 'must be the tenants as a JSON string' }]);
  }
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new PaymentsAuthConfigError([{ path: variable, problem: 'is not set: it holds the tenants as JSON' }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the text around the mistake, which may be a secret written in by hand.
    throw new PaymentsAuthConfigError([{ path: variable, problem: 'is not valid JSON' }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PaymentsAuthConfigError([{ path: variable, problem: 'must be a JSON object of tenants by id' }]);
  }
  const issues: ConfigIssue[] = [];
  const tenants = substitute(parsed, 'tenants', read, issues) as Record<string, TenantConfig>;
  if (issues.length > 0) throw new PaymentsAuthConfigError(issues);
  return tenants;
}

/** A copy of `value` with every `${NAME}` in its strings replaced; problems are collected, not thrown. */
function substitute(value: unknown, path: string, read: (name: string) => unknown, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (match: string, escaped: string, name: string) => {
      if (escaped === '$') return match.slice(1);
      const resolved = read(name);
      if (resolved === undefined || resolved === null) {
        issues.push({ path, problem: `refers to ${name}, which is not set` });
      } else if (typeof resolved !== 'string' || resolved === '') {
        issues.push({
          path,
          problem: `refers to ${name}, which is ${typeof resolved === 'string' ? 'empty' : 'not a string'}`,
        });
      } else {
        return resolved;
      }
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substitute(item, `${path}[${index}]`, read, issues));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substitute(item, `${path}.${key}`, read, issues)]),
    );
  }
  return value;
}
