import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { PaymentsAuthConfigError } from '../errors/config.error.js';
import type { ProviderName } from '../errors/payments-auth.error.js';
import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { PaymentsAuthEvents } from '../observability/payments-auth-events.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { type ValidatedTenantConfig, tenantIdProblem } from '../options/tenant-config.validator.js';
import { changedProviders, providersOf, validatedTenant } from './tenant-providers.js';
import { addedTenantStoreIssue, isDefaultStore } from '../options/default-store.js';
import { isUnder } from '../options/base-url.js';
import { PROVIDER_RULES, VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import { type ProviderRules, configFor } from '../options/provider-rules.js';
import { KeyedQueue } from '../coordination/keyed-queue.js';
import { describeError } from '../observability/loggable-error.js';

/** Who changed a tenant: the app through PaymentsAuthTenants, or a `resolveTenant` lookup. */
export type TenantChangeSource = 'api' | 'resolver';

/**
 * Told of every change to a known tenant, before the change is reported: `next` undefined means removed. The
 * engines switch token calls to new credentials, or stop renewals and delete the tenant's stored records.
 */
export type TenantChangeListener = (
  tenant: string,
  next: ValidatedTenantConfig | undefined,
  previous: ValidatedTenantConfig,
) => Promise<void>;

/** Resolver results looked up again at once, at most. */
const MAX_CONCURRENT_LOOKUPS = 8;
/** A background lookup that takes longer counts as failed (the configuration in use is kept). */
const LOOKUP_TIMEOUT_MS = 30_000;
/** An "unknown" answer is asked again this much later before the tenant is removed: one lagging replica of the
 * app's database must not delete a grant. */
const REMOVAL_CONFIRMATION_MS = 1_000;
/** How often the registry looks for resolver results past their TTL. */
const MAX_LOOKUP_SWEEP_MS = 1_000;

/**
 * Every tenant's validated configuration: static tenants from options, tenants set through PaymentsAuthTenants,
 * and tenants looked up through `resolveTenant` (concurrent lookups of one id share a call; results are
 * validated like static config and looked up again, in the background, once `resolveTenantTtlMs` has passed).
 * Unknown ids are not cached, so a tenant onboarded later is found on its first request.
 * The static Map is used as is rather than copied: at 10 000 tenants every per-tenant entry counts.
 */
@Injectable()
export class TenantRegistry implements OnModuleDestroy {
  private readonly logger = new Logger('PaymentsAuth');
  /** The registry owns the validated static Map from here on: runtime changes go into it too. */
  private readonly known: Map<string, ValidatedTenantConfig>;
  /** Tenants whose configuration came from `resolveTenant`, oldest lookup first (a Map keeps insertion order). */
  private readonly resolvedAt = new Map<string, number>();
  private readonly resolving = new Map<string, Promise<ValidatedTenantConfig>>();
  private readonly lookingUpAgain = new Set<string>();
  /** Tenants the resolver once answered "unknown" for, and when to ask again before removing them. */
  private readonly confirming = new Map<string, number>();
  /** Changes to one tenant run one after another: a set during a removal waits for it. */
  private readonly changes = new KeyedQueue();
  private stopped = false;
  private readonly listeners: TenantChangeListener[] = [];
  /** Every provider base URL in use, kept as tenants arrive: asking must not walk every tenant. */
  private readonly baseUrls: Set<string>;
  private readonly sweep: NodeJS.Timeout | undefined;

  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    private readonly events: PaymentsAuthEvents,
    @Inject(PROVIDER_RULES) private readonly providers: readonly ProviderRules[],
  ) {
    this.baseUrls = new Set(providers.flatMap((provider) => provider.defaultBaseUrls));
    this.known = options.tenants as Map<string, ValidatedTenantConfig>;
    for (const config of this.known.values()) this.addBaseUrls(config);
    const ttlMs = options.resolveTenantTtlMs;
    if (options.resolveTenant !== undefined && Number.isFinite(ttlMs)) {
      this.sweep = setInterval(() => this.lookUpDue(), Math.min(ttlMs, MAX_LOOKUP_SWEEP_MS));
      this.sweep.unref();
    }
  }

  get defaultTenant(): string | undefined {
    return this.options.defaultTenant;
  }

  /** Engines subscribe once, at creation. */
  watch(listener: TenantChangeListener): void {
    this.listeners.push(listener);
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
    return this.known.get(tenant);
  }

  async getOrThrow(tenant: string): Promise<ValidatedTenantConfig> {
    return this.peek(tenant) ?? this.resolve(tenant);
  }

  /**
   * Adds or replaces a tenant, validated like bootstrap config (PaymentsAuthConfigError naming each field). A
   * tenant set here is no longer looked up through `resolveTenant`.
   */
  async set(tenant: string, raw: unknown, source: TenantChangeSource): Promise<'added' | 'updated' | 'unchanged'> {
    const config = validatedTenant(tenant, raw, this.providers);
    const storeIssue = addedTenantStoreIssue(config, !isDefaultStore(this.options.store), this.providers);
    if (storeIssue !== undefined) throw new PaymentsAuthConfigError([storeIssue], tenant);
    return this.inOrder(tenant, () => this.apply(tenant, config, source));
  }

  /**
   * Forgets a tenant: renewals stop and its stored records are deleted before this resolves. When a store
   * deletion fails, the tenant is known again (with its configuration) and the error is thrown: try again.
   */
  remove(tenant: string, source: TenantChangeSource): Promise<boolean> {
    return this.inOrder(tenant, async () => {
      this.resolving.delete(tenant);
      this.confirming.delete(tenant);
      const previous = this.known.get(tenant);
      if (previous === undefined) return false;
      const resolvedAt = this.resolvedAt.get(tenant);
      this.resolvedAt.delete(tenant);
      this.known.delete(tenant); // first: from now on no call finds it
      try {
        await Promise.all(this.listeners.map((listener) => listener(tenant, undefined, previous)));
      } catch (error) {
        this.known.set(tenant, previous);
        if (resolvedAt !== undefined) this.resolvedAt.set(tenant, resolvedAt);
        throw error;
      }
      this.report('tenant.removed', tenant, providersOf(this.providers, previous), source);
      return true;
    });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearInterval(this.sweep);
  }

  private inOrder<T>(tenant: string, change: () => Promise<T>): Promise<T> {
    return this.changes.run(tenant, change);
  }

  private async apply(
    tenant: string,
    config: ValidatedTenantConfig,
    source: TenantChangeSource,
  ): Promise<'added' | 'updated' | 'unchanged'> {
    this.confirming.delete(tenant);
    if (source === 'api') {
      this.resolvedAt.delete(tenant);
      this.resolving.delete(tenant); // a lookup under way must not overwrite this
    }
    const previous = this.known.get(tenant);
    if (previous !== undefined && isDeepStrictEqual(previous, config)) return 'unchanged';
    this.known.set(tenant, config);
    this.addBaseUrls(config);
    if (previous === undefined) {
      this.report('tenant.added', tenant, providersOf(this.providers, config), source);
      return 'added';
    }
    await Promise.all(this.listeners.map((listener) => listener(tenant, config, previous)));
    this.report('tenant.updated', tenant, changedProviders(this.providers, previous, config), source);
    return 'updated';
  }

  private resolve(tenant: string): Promise<ValidatedTenantConfig> {
    const resolveTenant = this.options.resolveTenant;
    // An id outside the safe alphabet never reaches the user's resolver (it may build a query from it).
    if (resolveTenant === undefined || tenantIdProblem(tenant) !== undefined) {
      return Promise.reject(new UnknownTenantError(tenant));
    }
    let pending = this.resolving.get(tenant);
    if (pending === undefined) {
      const lookup: Promise<ValidatedTenantConfig> = resolveTenant(tenant).then(async (raw) => {
        const config = raw === undefined || raw === null ? undefined : validatedTenant(tenant, raw, this.providers);
        const admitted = await this.inOrder(tenant, async () => {
          if (this.resolving.get(tenant) !== lookup) return undefined; // set or removed through the API meanwhile
          if (config === undefined) throw new UnknownTenantError(tenant);
          this.resolvedAt.set(tenant, Date.now());
          await this.apply(tenant, config, 'resolver');
          return config;
        });
        // Outside the tenant's queue: looking it up again may itself need the queue.
        return admitted ?? this.getOrThrow(tenant);
      });
      pending = lookup.finally(() => {
        if (this.resolving.get(tenant) === lookup) this.resolving.delete(tenant);
      });
      this.resolving.set(tenant, lookup);
    }
    return pending;
  }

  /** Looks up again, in the background, the resolver results older than the TTL, oldest first. */
  private lookUpDue(): void {
    const now = Date.now();
    for (const [tenant, askAt] of this.confirming) {
      if (askAt > now || this.lookingUpAgain.size >= MAX_CONCURRENT_LOOKUPS || this.lookingUpAgain.has(tenant))
        continue;
      this.lookingUpAgain.add(tenant);
      void this.lookUpAgain(tenant).finally(() => this.lookingUpAgain.delete(tenant));
    }
    const dueBefore = now - this.options.resolveTenantTtlMs;
    for (const [tenant, at] of this.resolvedAt) {
      if (at > dueBefore || this.lookingUpAgain.size >= MAX_CONCURRENT_LOOKUPS) return;
      if (this.lookingUpAgain.has(tenant)) continue;
      this.lookingUpAgain.add(tenant);
      void this.lookUpAgain(tenant).finally(() => this.lookingUpAgain.delete(tenant));
    }
  }

  /**
   * A failed or invalid lookup keeps the configuration in use (and is tried again after the TTL): a database
   * hiccup must not stop a tenant's payments. Only an answer of "unknown" removes the tenant.
   */
  private async lookUpAgain(tenant: string): Promise<void> {
    const before = this.known.get(tenant);
    this.resolvedAt.delete(tenant);
    this.resolvedAt.set(tenant, Date.now()); // to the back of the queue, whatever the outcome
    // Removal takes two "unknown" answers in a row; any other answer starts the count again.
    const secondUnknown = this.confirming.delete(tenant);
    let raw: unknown;
    try {
      raw = await withTimeout(
        (this.options.resolveTenant as NonNullable<ValidatedOptions['resolveTenant']>)(tenant),
        LOOKUP_TIMEOUT_MS,
      );
    } catch (error) {
      this.logger.warn(
        `resolveTenant failed for tenant '${tenant}' (${describeError(error)}); keeping its configuration`,
      );
      return;
    }
    // Shutting down, changed through the API meanwhile, or no longer a resolver tenant: that decision stands.
    if (this.stopped || this.known.get(tenant) !== before || !this.resolvedAt.has(tenant)) return;
    if (raw === undefined || raw === null) {
      if (!secondUnknown) this.confirming.set(tenant, Date.now() + REMOVAL_CONFIRMATION_MS);
      else
        await this.remove(tenant, 'resolver').catch((error: unknown) =>
          this.logger.warn(`removing tenant '${tenant}' failed (${describeError(error)}); it stays known`),
        );
      return;
    }
    await this.set(tenant, raw, 'resolver').catch((error: unknown) => {
      this.logger.warn(
        `resolveTenant returned a configuration for tenant '${tenant}' that is not valid (${describeError(error)}); keeping the one in use`,
      );
    });
  }

  private report(
    type: 'tenant.added' | 'tenant.updated' | 'tenant.removed',
    tenant: string,
    providers: ProviderName[],
    source: TenantChangeSource,
  ): void {
    const at = new Date();
    for (const provider of providers) this.events.emit({ type, provider, tenant, at, source });
  }

  private addBaseUrls(config: ValidatedTenantConfig): void {
    for (const provider of this.providers) {
      const own = configFor(provider, config);
      if (own !== undefined) this.baseUrls.add(provider.baseUrlOf(own));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('resolveTenant timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
