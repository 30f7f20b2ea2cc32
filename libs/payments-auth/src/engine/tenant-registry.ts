import { Inject, Injectable } from '@nestjs/common';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { ValidatedTenantConfig, tenantIdProblem, validateTenantConfig } from '../options/tenant-config.validator.js';
import { isUnder } from '../options/base-url.js';
import { DEFAULT_BLINK_BASE_URL, DEFAULT_BLNK_BASE_URL } from '../options/payments-auth-options.interface.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';

/**
 * Every tenant's validated configuration. Static tenants come from options; others are looked up once through
 * `resolveTenant` (concurrent lookups of one id share a call), validated like static config, and cached.
 * Unknown ids are not cached, so a tenant onboarded later is found on its first request.
 * The static Map is used as is rather than copied: at 10 000 tenants every per-tenant entry counts.
 */
@Injectable()
export class TenantRegistry {
  private readonly resolved = new Map<string, ValidatedTenantConfig>();
  private readonly resolving = new Map<string, Promise<ValidatedTenantConfig>>();
  /** Every provider base URL in use, kept as tenants arrive: asking must not walk every tenant. */
  private readonly baseUrls = new Set<string>([DEFAULT_BLINK_BASE_URL, DEFAULT_BLNK_BASE_URL]);

  constructor(@Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions) {
    for (const config of options.tenants.values()) this.addBaseUrls(config);
  }

  get defaultTenant(): string | undefined {
    return this.options.defaultTenant;
  }

  /**
   * Whether a URL is under any known tenant's provider base URL or a provider's default host: such a request
   * with no tenant at all is a mistake to report, not a request to send without credentials.
   */
  isProviderUrl(url: URL): boolean {
    for (const baseUrl of this.baseUrls) if (isUnder(url, baseUrl)) return true;
    return false;
  }

  /** Synchronous lookup for the hot path: only tenants already known. */
  peek(tenant: string): ValidatedTenantConfig | undefined {
    return this.options.tenants.get(tenant) ?? this.resolved.get(tenant);
  }

  async getOrThrow(tenant: string): Promise<ValidatedTenantConfig> {
    return this.peek(tenant) ?? this.resolve(tenant);
  }

  private resolve(tenant: string): Promise<ValidatedTenantConfig> {
    const resolveTenant = this.options.resolveTenant;
    // An id outside the safe alphabet never reaches the user's resolver (it may build a query from it).
    if (resolveTenant === undefined || tenantIdProblem(tenant) !== undefined) {
      return Promise.reject(new UnknownTenantError(tenant));
    }
    let pending = this.resolving.get(tenant);
    if (pending === undefined) {
      pending = resolveTenant(tenant)
        .then((raw) => this.admit(tenant, raw))
        .finally(() => this.resolving.delete(tenant));
      this.resolving.set(tenant, pending);
    }
    return pending;
  }

  private admit(tenant: string, raw: unknown): ValidatedTenantConfig {
    if (raw === undefined || raw === null) throw new UnknownTenantError(tenant);
    const result = validateTenantConfig(raw, `tenants.${tenant}`);
    if (!result.ok) throw new PaymentsAuthConfigError(result.issues, tenant);
    this.resolved.set(tenant, result.config);
    this.addBaseUrls(result.config);
    return result.config;
  }

  private addBaseUrls(config: ValidatedTenantConfig): void {
    if (config.blink) this.baseUrls.add(config.blink.baseUrl);
    if (config.blnk) this.baseUrls.add(config.blnk.baseUrl);
  }
}
