import type { StoredToken } from '../stores/token-store.interface';
import type { HeldLease } from './cluster-lease';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * A record the store refused (disk full, store down), retried in the background with backoff until it lands.
 * While it is pending, this process holds the key's renewal lease (when it has one), so no other process
 * renews from the older record the store still has: for a rotating grant that record's refresh token is spent.
 */
export class PendingWrite {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_RETRY_MS;
  private attempt: Promise<boolean> | undefined;
  private done = false;

  constructor(
    private record: StoredToken,
    readonly lease: HeldLease | undefined,
    /** Writes the record; resolves once the store has it (or a newer one), rejects while the store fails. */
    private readonly write: (record: StoredToken) => Promise<void>,
    private readonly onLanded: (pending: PendingWrite) => void,
  ) {
    this.scheduleRetry();
  }

  get settled(): boolean {
    return this.done;
  }

  /** A newer record replaces the one waiting: only the newest refresh token matters. */
  replace(record: StoredToken): void {
    this.record = record;
  }

  /** One attempt now (shutdown makes a last one); true when the record is in the store. */
  flush(): Promise<boolean> {
    if (this.done) return Promise.resolve(true);
    this.attempt ??= this.write(this.record).then(
      () => {
        this.finish();
        return true;
      },
      () => false,
    ).finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  /** Gives up retrying (shutdown after the last attempt); the lease is released. */
  async abandon(): Promise<void> {
    clearTimeout(this.timer);
    this.done = true;
    await this.lease?.release();
  }

  private scheduleRetry(): void {
    this.timer = setTimeout(() => {
      void this.flush().then((landed) => {
        if (landed || this.done) return;
        this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_MS);
        this.scheduleRetry();
      });
    }, this.delayMs);
    this.timer.unref();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    void this.lease?.release();
    this.onLanded(this);
  }
}
