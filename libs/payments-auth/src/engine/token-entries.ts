import { UnknownTenantError } from '../errors/unknown-tenant.error.js';
import { storeKeyFor } from '../coordination/credential-fingerprint.js';
import { type TokenEntry, newTokenEntry } from './token-entry.js';
import type { TokenProtocol } from './token-protocol.interface.js';

/**
 * Where a tenant's current configuration for one provider comes from: the tenant registry (a test's Map in unit
 * specs). It is the engine's one way to read configuration; undefined means the tenant (or its use of this
 * provider) is gone.
 */
export type ConfigurationSource<TConfig> = (tenant: string) => TConfig | undefined;

/**
 * The engine's entries, one per tenant, each made from the tenant's configuration as it is now: a caller may be
 * an await behind a re-keying or a removal, and must never bring an old configuration back.
 */
export class TokenEntries<TConfig extends object> {
  private readonly entries = new Map<string, TokenEntry<TConfig>>();
  /** Entries replaced or removed: their flights end, nothing new starts on them (a WeakSet: no per-entry field). */
  private readonly retired = new WeakSet<TokenEntry<TConfig>>();

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    private readonly configOf: ConfigurationSource<TConfig>,
  ) {}

  /** The entry held for the tenant, whatever its configuration: no registry lookup. */
  held(tenant: string): TokenEntry<TConfig> | undefined {
    return this.entries.get(tenant);
  }

  /**
   * The hot path: the entry held for the tenant while its token is before its renewal time (marked as used),
   * else undefined. Every change to a tenant reaches the engine as it happens (reconfigured, removed), so the
   * entry is trusted without a configuration lookup.
   */
  fresh(tenant: string): TokenEntry<TConfig> | undefined {
    const entry = this.entries.get(tenant);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (now >= entry.renewAt) return undefined;
    entry.lastUsedAt = now;
    return entry;
  }

  /** The tenant's entry for its current configuration, made (and any older one replaced) when needed. */
  current(tenant: string): TokenEntry<TConfig> {
    const config = this.configOf(tenant);
    if (config === undefined) throw new UnknownTenantError(tenant); // removed since the caller looked it up
    const existing = this.entries.get(tenant);
    if (existing !== undefined && existing.config === config) return existing;
    existing?.renewal?.cancel(); // replaced: its renewal would otherwise run next to the new entry's
    const entry = newTokenEntry(tenant, config, this.storeKeyOf(tenant, config));
    this.entries.set(tenant, entry);
    return entry;
  }

  /** The tenant's current configuration, without making an entry. */
  configFor(tenant: string): TConfig | undefined {
    return this.configOf(tenant);
  }

  /** An entry nothing new may start on, or the tenant's live one that replaced it (undefined when removed). */
  liveFor(entry: TokenEntry<TConfig>): TokenEntry<TConfig> | undefined {
    if (!this.retired.has(entry)) return entry;
    const live = this.entries.get(entry.tenant);
    return live === undefined || this.retired.has(live) ? undefined : live;
  }

  isRetired(entry: TokenEntry<TConfig>): boolean {
    return this.retired.has(entry);
  }

  /** Puts `next` in `previous`'s place (or takes the tenant's entry out) and retires `previous`. */
  replace(previous: TokenEntry<TConfig>, next: TokenEntry<TConfig> | undefined): void {
    this.retired.add(previous);
    if (this.entries.get(previous.tenant) !== previous) return;
    if (next === undefined) this.entries.delete(previous.tenant);
    else this.entries.set(previous.tenant, next);
  }

  values(): IterableIterator<TokenEntry<TConfig>> {
    return this.entries.values();
  }

  storeKeyOf(tenant: string, config: TConfig): string {
    return storeKeyFor(this.protocol.provider, tenant, this.protocol.credentialIdentity(config));
  }
}
