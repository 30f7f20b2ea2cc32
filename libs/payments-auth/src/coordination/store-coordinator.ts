import { Logger } from '@nestjs/common';
import type { ProviderName } from '../errors/payments-auth.error.js';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error.js';
import { TokenStoreError } from '../errors/token-store.error.js';
import type { LeasedRead, StoredToken, TokenStore } from '../stores/token-store.interface.js';
import {
  type HeldLease,
  LEASE_TTL_MS,
  LeaseLostBeforeCallError,
  type TakenLease,
  isLeasingStore,
} from './cluster-lease.js';
import { tenantKeyPrefix } from './credential-fingerprint.js';
import { describeError } from '../observability/loggable-error.js';
import { salvagedRefreshTokenOf } from './salvaged-refresh-token.js';
import { SharedRecords } from './shared-records.js';
import type { StoreLossGuard } from './store-loss-guard.js';

/** What the coordinator needs of an engine entry: where its record lives, and the record this process holds. */
export interface StoreSlot {
  readonly tenant: string;
  readonly storeKey: string;
  readonly token?: StoredToken;
}

/** The engine's two ways to finish a renewal, called by the coordinator once it knows which applies. */
export interface Renewer {
  /** Whether a newer record another process stored answers this call instead of a token call of our own. */
  answeredBy(stored: StoredToken): boolean;
  /** Another process renewed (or found the grant refused) meanwhile: its record is used instead of a token call. */
  adoptStored(record: StoredToken): StoredToken;
  /** Makes the token call from `stored` (or what this process holds), with the key's lease held if there is one. */
  renewFrom(stored: StoredToken | undefined, lease: HeldLease | undefined): Promise<StoredToken>;
}

export interface StoreCoordinatorSettings {
  tokenCallTimeoutMs: number;
}

/** How often an instance waiting on another's renewal looks for the result in the store. */
const LEASE_POLL_MS = 50;

/**
 * One provider's side of the records every process shares: who renews a key (the renewal lease), what a
 * renewal starts from (the newest stored record), and how a new record lands (compare-and-set through
 * SharedRecords, held and retried when the store refuses it). It never calls the provider itself.
 */
export class StoreCoordinator {
  private readonly logger = new Logger('PaymentsAuth');
  private readonly records: SharedRecords;

  constructor(
    private readonly store: TokenStore,
    private readonly protocol: { readonly provider: ProviderName; readonly rotatesRefreshTokens: boolean },
    private readonly settings: StoreCoordinatorSettings,
    private readonly lossGuard?: StoreLossGuard,
  ) {
    this.records = new SharedRecords(store, protocol.provider, protocol.rotatesRefreshTokens, this.logger);
  }

  /** The stored record, or undefined when there is none or the store cannot be read. */
  peek(slot: StoreSlot): Promise<StoredToken | undefined> {
    return this.store.get(slot.storeKey).catch(() => undefined);
  }

  /** Finds out whether this process renews (and from which record) or takes another process's renewal. */
  renew(slot: StoreSlot, renewer: Renewer): Promise<StoredToken> {
    if (!isLeasingStore(this.store))
      return this.readForRenewal(slot).then((stored) => renewer.renewFrom(stored, undefined));
    return this.renewUnderLease(slot, renewer);
  }

  /**
   * Single flight across processes: one process holds the key's renewal lease and renews; after taking it, it
   * re-reads the store, because another process may have renewed meanwhile. The others poll the store and take
   * the winner's token instead of calling the provider. The lease is short and kept alive by its live holder,
   * so a holder that died (SIGKILL) frees it within LEASE_TTL_MS and a waiter takes over.
   */
  private async renewUnderLease(slot: StoreSlot, renewer: Renewer): Promise<StoredToken> {
    const seenVersion = slot.token?.version ?? 0;
    // A live holder's lease outlasts its token call and any recovery wait; waiting longer means it is stuck.
    const deadline =
      Date.now() + this.settings.tokenCallTimeoutMs + (this.lossGuard?.recoveryWindowMs ?? 0) + 2 * LEASE_TTL_MS;
    const renewedElsewhere = (stored: StoredToken | undefined): stored is StoredToken =>
      stored !== undefined && stored.version > seenVersion && renewer.answeredBy(stored);
    for (let attempt = 0; Date.now() <= deadline || attempt === 0; attempt += 1) {
      let taken: TakenLease | undefined;
      try {
        taken = await this.records.takeLease(slot.storeKey, slot.tenant);
      } catch (error) {
        return this.renewWithoutCluster(slot, renewer, error);
      }
      if (taken !== undefined) {
        try {
          const stored = await this.readUnderLease(slot, taken.read);
          if (renewedElsewhere(stored)) return renewer.adoptStored(stored);
          return await renewer.renewFrom(stored, taken.lease);
        } catch (error) {
          if (!(error instanceof LeaseLostBeforeCallError) || Date.now() > deadline) throw error;
          // Nothing was sent: start over, below, by taking the lease again or waiting for its new holder.
        } finally {
          await this.records.dropLease(slot.storeKey);
        }
      }
      const stored = await this.peek(slot);
      if (renewedElsewhere(stored)) return renewer.adoptStored(stored);
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS + Math.random() * LEASE_POLL_MS));
    }
    throw new TokenStoreError(this.details(slot), 'lease', 'timed out waiting for another instance to renew');
  }

  /**
   * Under the lease a rotating refresh guesses nothing: it waits out a store recovery, and a failed read fails.
   * A token minted afresh (Blink) needs no stored record: when the read fails, it renews as without the lease.
   * What the store read as it took the lease (`readWithLease`) stands unless a recovery changed the store since.
   */
  private async readUnderLease(
    slot: StoreSlot,
    readWithLease: LeasedRead | undefined,
  ): Promise<StoredToken | undefined> {
    const unchanged = this.protocol.rotatesRefreshTokens ? await this.beforeRotation(slot, readWithLease) : true;
    try {
      if (readWithLease !== undefined && unchanged) return readWithLease.record; // throws as get would have
      return await this.store.get(slot.storeKey);
    } catch (error) {
      const storeError = new TokenStoreError(this.details(slot), 'read', describeError(error));
      if (this.protocol.rotatesRefreshTokens) throw storeError;
      this.logger.warn(`${storeError.message}; renewing without the stored record`);
      return undefined;
    }
  }

  /** The loss guard's check before a rotating refresh; true when it neither waited nor saw a new generation. */
  private async beforeRotation(slot: StoreSlot, readWithLease: LeasedRead | undefined): Promise<boolean> {
    if (this.lossGuard === undefined) return true;
    return this.lossGuard.beforeRotation(readWithLease?.generation).catch((error: unknown) => {
      throw new TokenStoreError(this.details(slot), 'read', `generation check: ${describeError(error)}`);
    });
  }

  /**
   * The shared store is unreachable. Blink mints a token without the lease (at worst one extra token call).
   * A rotating refresh token is never used without the lease: another instance may be using it right now, and
   * a reuse would revoke the grant. The cached token keeps being served until it expires.
   */
  private renewWithoutCluster(slot: StoreSlot, renewer: Renewer, error: unknown): Promise<StoredToken> {
    if (this.protocol.rotatesRefreshTokens) {
      const reason = `${describeError(error)}; not refreshing a rotating grant without the cluster lease`;
      return Promise.reject(new TokenStoreError(this.details(slot), 'lease', reason));
    }
    this.logger.warn(
      `${this.protocol.provider} token store unreachable for tenant '${slot.tenant}' (${describeError(error)}); renewing without the cluster lease`,
    );
    return renewer.renewFrom(undefined, undefined);
  }

  /**
   * Reads the newest record before a renewal. When the store fails, this process's own record is the best
   * knowledge there is; with none, a rotating protocol must not fall back to the configured seed, which may be
   * spent already, so it fails instead.
   */
  private async readForRenewal(slot: StoreSlot): Promise<StoredToken | undefined> {
    try {
      return await this.store.get(slot.storeKey);
    } catch (error) {
      const storeError = new TokenStoreError(this.details(slot), 'read', describeError(error));
      if (slot.token === undefined && this.protocol.rotatesRefreshTokens) throw storeError;
      this.logger.warn(`${storeError.message}; continuing with the token this process holds`);
      return undefined;
    }
  }

  /**
   * Writes the record (compare-and-set where the store supports it) and returns the record to use: ours, or
   * one another instance stored that supersedes it. A failed write does not fail the caller: the new token
   * works (withholding it would protect nothing), and SharedRecords retries the write in the background.
   */
  async persist(slot: StoreSlot, record: StoredToken, spentRefreshToken?: string): Promise<StoredToken> {
    try {
      const kept = await this.records.write(slot.storeKey, slot.tenant, record, spentRefreshToken);
      if (kept !== record)
        this.logger.warn(
          `${this.protocol.provider} tenant '${slot.tenant}': a newer token was already stored; using it`,
        );
      return kept;
    } catch (error) {
      const message = new TokenStoreError(this.details(slot), 'write', describeError(error)).message;
      this.logger.error(`${message}; retrying in the background (until then ${this.records.lossConsequence()})`);
      return record;
    }
  }

  /**
   * Shared records are written under the key's lease, invalidations too: one landing between a renewer's read
   * and its write would otherwise race the renewer. Without the lease (another process is renewing and its
   * record will replace this one) the token is only dropped here, under the same version: a version that was
   * never stored must not exist anywhere, or a put-back could make it collide with the real one.
   */
  async writeInvalidated(slot: StoreSlot, current: StoredToken, droppedHere: StoredToken): Promise<StoredToken> {
    const invalidated: StoredToken = { ...current, expiresAt: 0, version: current.version + 1 };
    if (!isLeasingStore(this.store)) return this.persist(slot, invalidated);
    const taken = await this.records.takeLease(slot.storeKey, slot.tenant).catch(() => undefined);
    if (taken === undefined) return droppedHere;
    try {
      const stored = await this.recordReadWith(taken, slot);
      if (stored !== undefined && stored.version > current.version) return stored; // renewed elsewhere already
      return await this.persist(slot, invalidated);
    } finally {
      await this.records.dropLease(slot.storeKey);
    }
  }

  /** The record read with the lease; as `peek` reads it when none was, or it cannot be opened. */
  private recordReadWith({ read }: TakenLease, slot: StoreSlot): Promise<StoredToken | undefined> {
    if (read === undefined) return this.peek(slot);
    return Promise.resolve(read)
      .then((leased) => leased.record)
      .catch(() => this.peek(slot));
  }

  /**
   * The provider rotated the grant but its answer was unusable (salvaged-refresh-token.ts): the new refresh
   * token is stored, under the lease this renewal holds, so the next attempt here or in any other process sends
   * it rather than the spent one. Returns the record to hold, or undefined when there was nothing to keep; the
   * access token this process holds stays as it was.
   */
  async keepSalvagedRefreshToken(
    slot: StoreSlot,
    current: StoredToken | undefined,
    error: unknown,
  ): Promise<StoredToken | undefined> {
    const refreshToken = salvagedRefreshTokenOf(error);
    if (!this.protocol.rotatesRefreshTokens || refreshToken === undefined || refreshToken === current?.refreshToken)
      return undefined;
    if (error instanceof ReauthorizationRequiredError) return undefined; // a refused grant hands out nothing usable
    const { reauthorizationRequired: _mark, ...held } = current ?? {
      accessToken: '',
      issuedAt: Date.now(),
      expiresAt: 0,
      version: 0,
    };
    const record: StoredToken = { ...held, refreshToken, version: held.version + 1 };
    this.logger.warn(
      `${this.protocol.provider} tenant '${slot.tenant}': an unusable token answer carried a new refresh token; it is kept for the next attempt`,
    );
    return this.persist(slot, record, current?.refreshToken);
  }

  /** After the store lost its data: every record this process holds is written back; the highest version wins. */
  async putBack(slots: Iterable<StoreSlot>): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (const slot of slots)
      if (slot.token !== undefined) writes.push(this.records.putBack(slot.storeKey, slot.tenant, slot.token));
    await Promise.all(writes);
  }

  /** Every stored key of the provider and tenant, for stores that can list keys (none for those that cannot). */
  async keysOf(provider: ProviderName, tenant: string): Promise<string[]> {
    if (this.store.keys === undefined) return [];
    return this.store.keys(tenantKeyPrefix(provider, tenant)).catch((error: unknown) => {
      throw new TokenStoreError({ provider, tenant }, 'delete', describeError(error));
    });
  }

  /** Deletes the key's record, after dropping any write of it still held for a retry. */
  async delete(slot: StoreSlot): Promise<void> {
    await this.records.discard(slot.storeKey);
    await this.store.delete(slot.storeKey).catch((error: unknown) => {
      throw new TokenStoreError(this.details(slot), 'delete', describeError(error));
    });
  }

  /** Records still waiting for the store to accept them. */
  pendingWrites(): number {
    return this.records.pendingWrites();
  }

  /** Shutdown: one last attempt at every pending write; returns how many never landed. */
  flush(): Promise<number> {
    return this.records.flush();
  }

  private details(slot: StoreSlot): { provider: ProviderName; tenant: string } {
    return { provider: this.protocol.provider, tenant: slot.tenant };
  }
}

/**
 * The record that tells every process the provider refused the grant itself (`invalid_grant`). The access token
 * goes too: providers revoke a grant's access tokens with it (RFC 9700 §4.14.2).
 */
export function refusedMark(current: StoredToken | undefined, error: ReauthorizationRequiredError): StoredToken {
  return {
    ...(current ?? { accessToken: '', issuedAt: Date.now() }),
    expiresAt: 0,
    version: (current?.version ?? 0) + 1,
    reauthorizationRequired: { at: Date.now(), providerErrorCode: error.providerErrorCode },
  };
}
