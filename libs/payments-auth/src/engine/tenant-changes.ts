import type { StoreCoordinator } from '../coordination/store-coordinator.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import type { TokenEntries } from './token-entries.js';
import { type TokenEntry, newTokenEntry } from './token-entry.js';
import type { TokenProtocol } from './token-protocol.interface.js';

/**
 * What becomes of a tenant's entry and records when its configuration changes (re-keying) or it is removed.
 * Calls and writes under way on the old entry always finish first: their answers are written, never lost.
 */
export class TenantChanges<TConfig extends object> {
  /** Entries whose credentials changed while the configured seed stayed: it was issued to the old ones. */
  private readonly seedIssuedElsewhere = new WeakSet<TokenEntry<TConfig>>();
  /** Rotating protocols: store keys of a tenant's earlier credentials, kept (a grant) until the tenant is removed. */
  private readonly formerKeys = new Map<string, string[]>();

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    private readonly entries: TokenEntries<TConfig>,
    private readonly coordinator: StoreCoordinator,
    private readonly adopt: (entry: TokenEntry<TConfig>, record: StoredToken) => void,
  ) {}

  seedNotFor(entry: TokenEntry<TConfig>): boolean {
    return this.seedIssuedElsewhere.has(entry);
  }

  /**
   * The tenant's credentials changed. With the same store key (a rotated secret) the entry keeps its token, the
   * next token call uses the new credentials, and a refusal of the old ones seen here no longer holds (a grant
   * refused with invalid_grant does: it is marked in the store). With a new key (another key id or client id
   * at the same base URL), the token of the old credentials is still served until it would be renewed, and that
   * renewal starts from the new key's record: no refresh token crosses credentials, and a configured seed that
   * did not change with them is never sent (it was issued to the old ones). With a new base URL the old token
   * is not served at all: it was issued for the old host, and the new one must never receive it. A record of a
   * provider without refresh tokens is deleted under its old key (a Blink token carries its key pair's secret);
   * a Blnk grant is kept until the tenant is removed.
   */
  async reconfigured(tenant: string): Promise<void> {
    const entry = this.entries.held(tenant);
    const config = this.entries.configFor(tenant);
    if (entry === undefined || config === undefined) return;
    const storeKey = this.entries.storeKeyOf(tenant, config);
    if (storeKey === entry.storeKey) {
      entry.config = config;
      if (entry.reauthorizationError?.providerErrorCode !== 'invalid_grant') entry.reauthorizationError = undefined;
      entry.gate = undefined;
      return;
    }
    const next = newTokenEntry(tenant, config, storeKey);
    next.lastUsedAt = entry.lastUsedAt;
    const seed = this.protocol.seedRefreshToken?.(config);
    if (seed !== undefined && seed === this.protocol.seedRefreshToken?.(entry.config))
      this.seedIssuedElsewhere.add(next);
    this.entries.replace(entry, next);
    const token = entry.token;
    // Only to the same audience: a new host must never receive the token issued for the old one.
    const sameAudience = this.protocol.audience(config) === this.protocol.audience(entry.config);
    if (
      sameAudience &&
      token !== undefined &&
      token.expiresAt > Date.now() &&
      token.reauthorizationRequired === undefined
    ) {
      // Version 0: any record already stored under the new key (another instance renewed) wins over it.
      this.adopt(next, {
        accessToken: token.accessToken,
        expiresAt: token.expiresAt,
        issuedAt: token.issuedAt,
        version: 0,
        details: token.details,
      });
    }
    if (this.protocol.rotatesRefreshTokens) {
      this.formerKeys.set(tenant, [...(this.formerKeys.get(tenant) ?? []), entry.storeKey]);
      await this.retire(entry, false);
    } else {
      // Best effort: the old record holds a token that expires soon, and a store hiccup must not undo a rotation.
      await this.retire(entry, true).catch(() => undefined);
    }
  }

  /**
   * The tenant (or its use of this provider) was removed; `previous` is the configuration it had. Renewals
   * stop, a token call under way finishes, then its records (Blnk's refresh token with them) are deleted from
   * the store: every record of this provider and tenant the store lists, whoever wrote it under whichever
   * credentials (another replica, a run before a restart), and those this process knows of for a store that
   * cannot list its keys.
   */
  async removed(tenant: string, previous: TConfig): Promise<void> {
    const entry =
      this.entries.held(tenant) ?? newTokenEntry(tenant, previous, this.entries.storeKeyOf(tenant, previous));
    this.entries.replace(entry, undefined);
    await this.retire(entry, true);
    for (const storeKey of this.formerKeys.get(tenant) ?? []) await this.coordinator.delete({ tenant, storeKey });
    this.formerKeys.delete(tenant);
    await this.removeStored(tenant);
  }

  /**
   * Deletes every record of this provider and tenant that the store lists, also when the tenant no longer
   * (or never, in this process) used this provider: earlier credentials, another replica, a run before a restart.
   */
  async removeStored(tenant: string): Promise<void> {
    for (const storeKey of await this.coordinator.keysOf(this.protocol.provider, tenant))
      await this.coordinator.delete({ tenant, storeKey });
  }

  /**
   * Nothing new starts on the entry (already retired by `replace`); the calls and writes under way finish
   * (their answers are written), then its record is deleted when `deleteRecord`.
   */
  private async retire(entry: TokenEntry<TConfig>, deleteRecord: boolean): Promise<void> {
    entry.renewal?.cancel();
    for (let round = 0; round < 100 && (entry.inFlight !== undefined || entry.invalidating !== undefined); round += 1) {
      await Promise.allSettled([entry.inFlight, entry.invalidating]);
    }
    entry.renewal?.cancel(); // the call may have scheduled one as it finished
    if (deleteRecord) await this.coordinator.delete(entry);
  }
}
