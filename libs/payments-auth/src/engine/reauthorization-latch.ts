import type { ProviderName } from '../errors/payments-auth.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { type StoreCoordinator, refusedMark } from '../coordination/store-coordinator.js';
import type { StoredToken } from '../stores/token-store.interface.js';
import type { TokenCallRecorder } from './token-call-recorder.js';
import type { TokenEntry } from './token-entry.js';

/** A latched tenant asks the store this often whether another instance re-authorized it. */
const LATCH_RECHECK_MS = 1_000;

/**
 * The re-authorization latch: once the provider refused a tenant's grant or credentials, no automatic token
 * call is made for it until someone re-authorizes it, here (a code exchange, forceRenewal) or in another
 * instance (a newer record without the refused mark). A refused grant is marked in the store so that every
 * instance latches; refused client credentials latch only this instance.
 */
export class ReauthorizationLatch {
  constructor(
    private readonly provider: ProviderName,
    private readonly coordinator: StoreCoordinator,
    private readonly recorder: TokenCallRecorder,
  ) {}

  /** The provider refused this entry's token call: latch at the version it holds. */
  refused(entry: TokenEntry<object>, error: ReauthorizationRequiredError): void {
    this.latchOn(entry, error, entry.token?.version ?? 0);
  }

  /** A record marked refused latches this process once per mark: one event, one warning, no token calls. */
  onRecord(entry: TokenEntry<object>, record: StoredToken): void {
    const mark = record.reauthorizationRequired;
    if (mark === undefined || (entry.reauthorizationError !== undefined && entry.latchedVersion >= record.version))
      return;
    const error = new ReauthorizationRequiredError(
      { provider: this.provider, tenant: entry.tenant, providerErrorCode: mark.providerErrorCode },
      'another instance found the grant refused',
    );
    this.latchOn(entry, error, record.version);
    this.recorder.latched(entry.tenant, error);
  }

  /**
   * Only a refused grant (`invalid_grant`) is marked in the store, for every other instance to latch on.
   * Refused client credentials (`invalid_client`, a 401) latch only this instance: one process deployed with a
   * stale secret must not stop the others, whose store key does not include the secret. Returns the marked
   * record as stored, to be adopted.
   */
  async markRefused(
    entry: TokenEntry<object>,
    current: StoredToken | undefined,
    error: ReauthorizationRequiredError,
  ): Promise<StoredToken | undefined> {
    if (error.providerErrorCode !== 'invalid_grant') return undefined;
    const marked = refusedMark(current, error);
    entry.latchedVersion = marked.version;
    return this.coordinator.persist(entry, marked);
  }

  /**
   * A latched tenant makes no token call, but another instance may have re-authorized it (a new grant in the
   * store): at most once a second the store is asked again. Whether now is such a time (and it counts as asked).
   */
  recheckDue(entry: TokenEntry<object>): boolean {
    if (Date.now() - entry.latchCheckedAt < LATCH_RECHECK_MS) return false;
    entry.latchCheckedAt = Date.now();
    return true;
  }

  /** The store's answer to a recheck: the record that lifts the latch, or the latch thrown again. */
  async recheck(entry: TokenEntry<object>): Promise<StoredToken> {
    const latch = entry.reauthorizationError as ReauthorizationRequiredError;
    const stored = await this.coordinator.peek(entry);
    if (stored === undefined || stored.version <= entry.latchedVersion || stored.reauthorizationRequired !== undefined)
      throw latch;
    entry.reauthorizationError = undefined;
    this.recorder.reauthorizedElsewhere(entry.tenant);
    return stored;
  }

  /** A new token (or a re-authorization) lifts the latch. */
  lift(entry: TokenEntry<object>): void {
    entry.reauthorizationError = undefined;
  }

  private latchOn(entry: TokenEntry<object>, error: ReauthorizationRequiredError, version: number): void {
    entry.reauthorizationError = error;
    entry.latchedVersion = version;
    entry.latchCheckedAt = Date.now();
  }
}
