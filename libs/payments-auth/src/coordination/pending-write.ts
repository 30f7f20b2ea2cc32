import type { StoredToken } from '../stores/token-store.interface.js';

const FIRST_RETRY_MS = 250;
/** Short: while a rotated refresh token waits here, it exists nowhere else. */
const MAX_RETRY_MS = 1_000;

/** A record the store refused (disk full, store down), retried in the background with backoff until it lands. */
export class PendingWrite {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_RETRY_MS;
  private attempt: Promise<boolean> | undefined;
  private done = false;

  constructor(
    private pending: { record: StoredToken; spentRefreshToken: string | undefined },
    /** Writes the record; resolves once the store has it (or a record that supersedes it), rejects while the store fails. */
    private readonly write: (record: StoredToken, spentRefreshToken: string | undefined) => Promise<unknown>,
    private readonly onLanded: () => void,
  ) {
    this.scheduleRetry();
  }

  get record(): StoredToken {
    return this.pending.record;
  }

  /** A newer record replaces the one waiting: only the newest refresh token matters. */
  replace(record: StoredToken, spentRefreshToken: string | undefined): void {
    this.pending = { record, spentRefreshToken: spentRefreshToken ?? this.pending.spentRefreshToken };
  }

  /** One attempt now (shutdown makes a last one); true when the newest record handed over is in the store. */
  flush(): Promise<boolean> {
    if (this.done) return Promise.resolve(true);
    this.attempt ??= this.attemptNewest().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  /** A record replaced while its predecessor was being written is written next, before anything counts as landed. */
  private async attemptNewest(): Promise<boolean> {
    for (;;) {
      const sent = this.pending;
      try {
        await this.write(sent.record, sent.spentRefreshToken);
      } catch {
        return false;
      }
      if (this.pending === sent) {
        this.finish();
        return true;
      }
    }
  }

  /** Stops retrying (the record was superseded, or shutdown gave up). */
  cancel(): void {
    clearTimeout(this.timer);
    this.done = true;
  }

  /** Stops retrying and waits for an attempt already under way, so that nothing is written after this resolves. */
  async stop(): Promise<void> {
    this.cancel();
    await this.attempt;
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
    this.onLanded();
  }
}
