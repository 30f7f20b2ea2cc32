import type { LoggerService } from '@nestjs/common';
import type { StoredToken, TokenStore } from '../stores/token-store.interface.js';
import { HeldLease, type TakenLease, isLeasingStore } from './cluster-lease.js';
import { PendingWrite } from './pending-write.js';

/** Per store key, only while something is going on: a held lease (with its users) or a refused write. */
interface KeyActivity {
  tenant: string;
  lease?: HeldLease;
  /** A flight and a pending write may share one lease; it is released when the last of them is done. */
  leaseUsers: number;
  pending?: PendingWrite;
  /** Whether the pending write counts as one of the lease's users. */
  pendingHoldsLease: boolean;
}

const MAX_WRITE_ATTEMPTS = 3;

/**
 * The write side of the records a token engine shares with other processes:
 * - the key's renewal lease, shared in this process by a flight and a pending write and released when neither
 *   needs it any more;
 * - compare-and-set writes in which a fresh rotation always wins over a record that still carries the refresh
 *   token it spent (an invalidation or a put-back landing between the renewer's read and its write), because
 *   the provider's answer is the only place that newest refresh token exists;
 * - refused writes retried in the background until they land, holding the lease for rotating grants so that no
 *   other process renews from the older record the store still has.
 */
export class SharedRecords {
  private readonly activity = new Map<string, KeyActivity>();

  constructor(
    private readonly store: TokenStore,
    private readonly provider: string,
    private readonly rotates: boolean,
    private readonly logger: LoggerService,
  ) {}

  /** The key's lease for this process, or undefined while another process holds it. Store errors propagate. */
  async takeLease(key: string, tenant: string): Promise<TakenLease | undefined> {
    if (!isLeasingStore(this.store)) throw new Error('store has no leases');
    const current = this.activity.get(key);
    if (current?.lease !== undefined && !current.lease.isLost) {
      current.leaseUsers += 1;
      return { lease: current.lease }; // read nothing: the caller reads for itself
    }
    const taken = await HeldLease.acquire(this.store, key);
    if (taken === undefined) return undefined;
    const activity = this.activity.get(key) ?? this.track(key, tenant);
    void activity.lease?.release(); // a lost one: stops its timer
    activity.lease = taken.lease;
    activity.leaseUsers += 1;
    return taken;
  }

  async dropLease(key: string): Promise<void> {
    const activity = this.activity.get(key);
    if (activity === undefined) return;
    activity.leaseUsers = Math.max(0, activity.leaseUsers - 1);
    await this.settle(key, activity);
  }

  /**
   * Writes `record` and returns the record to use: ours, or one stored by another process that supersedes it.
   * A refused write is held and retried in the background; the error is rethrown for the caller to report.
   */
  async write(key: string, tenant: string, record: StoredToken, spentRefreshToken?: string): Promise<StoredToken> {
    try {
      const superseding = await this.writeOnce(key, record, spentRefreshToken);
      this.supersedePending(key, record);
      return superseding ?? record;
    } catch (error) {
      this.holdPending(key, tenant, record, spentRefreshToken);
      throw error;
    }
  }

  /**
   * After a store loss: writes back a record this process holds; the highest version wins. A put-back the store
   * refuses is retried in the background like any write: this process may hold the only newest copy.
   */
  async putBack(key: string, tenant: string, record: StoredToken): Promise<void> {
    await this.writeOnce(key, record, undefined).catch(() => this.holdPending(key, tenant, record, undefined));
  }

  /** The key's record is being deleted (its tenant was removed): a held write must not bring it back. */
  async discard(key: string): Promise<void> {
    const activity = this.activity.get(key);
    if (activity === undefined) return;
    await activity.pending?.stop();
    this.clearPending(activity);
    await this.settle(key, activity);
  }

  pendingWrites(): number {
    let count = 0;
    for (const activity of this.activity.values()) if (activity.pending !== undefined) count += 1;
    return count;
  }

  /** Shutdown: one last attempt at every pending write; logs and returns how many never landed. */
  async flush(): Promise<number> {
    const outcomes = await Promise.all(
      [...this.activity.entries()].map(async ([key, activity]) => {
        const pending = activity.pending;
        if (pending === undefined || (await pending.flush())) return true;
        pending.cancel();
        if (activity.pending !== pending) return true; // superseded meanwhile by a write that landed
        this.logger.error(
          `${this.provider} tenant '${activity.tenant}': shutting down with a token the store never accepted; ${this.lossConsequence()}`,
        );
        this.clearPending(activity);
        await this.settle(key, activity);
        return false;
      }),
    );
    return outcomes.filter((landed) => !landed).length;
  }

  lossConsequence(): string {
    return this.rotates
      ? 'the rotated refresh token exists only in this process: a restart loses it'
      : 'the token exists only in this process';
  }

  private async writeOnce(
    key: string,
    record: StoredToken,
    spentRefreshToken: string | undefined,
  ): Promise<StoredToken | undefined> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      if (await this.store.compareAndSet(key, record)) return undefined;
      const stored = await this.store.get(key);
      if (stored === undefined) continue; // gone meanwhile (store emptied): try again
      if (spentRefreshToken !== undefined && stored.refreshToken === spentRefreshToken) {
        record.version = stored.version + 1; // ours rotated past it
        continue;
      }
      const same =
        stored.accessToken === record.accessToken &&
        stored.refreshToken === record.refreshToken &&
        stored.expiresAt === record.expiresAt;
      if (same) return undefined; // put back already
      return stored;
    }
    throw Object.assign(new Error('compare-and-set kept being refused'), { code: 'ECONFLICT' });
  }

  private holdPending(key: string, tenant: string, record: StoredToken, spentRefreshToken: string | undefined): void {
    const activity = this.activity.get(key) ?? this.track(key, tenant);
    if (activity.pending !== undefined) activity.pending.replace(record, spentRefreshToken);
    else {
      activity.pending = new PendingWrite(
        { record, spentRefreshToken },
        (pending, spent) => this.writeOnce(key, pending, spent),
        () => {
          this.logger.log(`${this.provider} tenant '${tenant}': the token store accepted the held token again`);
          this.clearPending(activity);
          void this.settle(key, activity);
        },
      );
    }
    // Rotating grants keep the lease until the write lands: the stored record's refresh token is spent.
    if (this.rotates && !activity.pendingHoldsLease && activity.lease !== undefined && !activity.lease.isLost) {
      activity.pendingHoldsLease = true;
      activity.leaseUsers += 1;
    }
  }

  /** A newer record landed: an older one still waiting is obsolete. */
  private supersedePending(key: string, written: StoredToken): void {
    const activity = this.activity.get(key);
    const pending = activity?.pending;
    if (activity === undefined || pending === undefined || pending.record.version > written.version) return;
    pending.cancel();
    this.clearPending(activity);
    void this.settle(key, activity);
  }

  private clearPending(activity: KeyActivity): void {
    activity.pending = undefined;
    if (activity.pendingHoldsLease) {
      activity.pendingHoldsLease = false;
      activity.leaseUsers = Math.max(0, activity.leaseUsers - 1);
    }
  }

  private async settle(key: string, activity: KeyActivity): Promise<void> {
    if (activity.leaseUsers > 0 || activity.pending !== undefined) return;
    if (this.activity.get(key) === activity) this.activity.delete(key);
    const lease = activity.lease;
    activity.lease = undefined;
    await lease?.release();
  }

  private track(key: string, tenant: string): KeyActivity {
    const activity: KeyActivity = {
      tenant,
      lease: undefined,
      leaseUsers: 0,
      pending: undefined,
      pendingHoldsLease: false,
    };
    this.activity.set(key, activity);
    return activity;
  }
}
