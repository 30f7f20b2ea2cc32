import type { StoredToken, TokenStore } from 'nestjs-payments-auth';

/** A store whose reads or writes can be made to fail, standing in for a full disk or an unreachable Redis. */
export class FlakyStore implements TokenStore {
  readonly records = new Map<string, StoredToken>();
  failReads = false;
  failWrites = false;
  failDeletes = false;
  /** Deletions take this long, so a test can act while one is under way. */
  deleteDelayMs = 0;
  writeAttempts = 0;

  async get(key: string): Promise<StoredToken | undefined> {
    if (this.failReads) throw Object.assign(new Error('read failed'), { code: 'EIO' });
    const record = this.records.get(key);
    return record && { ...record };
  }

  async set(key: string, value: StoredToken): Promise<void> {
    this.attemptWrite();
    this.records.set(key, { ...value });
  }

  /** Compared and written without an await in between: atomic within the one process a test runs. */
  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    this.attemptWrite();
    const current = this.records.get(key);
    if (current !== undefined && current.version >= value.version) return false;
    this.records.set(key, { ...value });
    return true;
  }

  async delete(key: string): Promise<void> {
    if (this.deleteDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.deleteDelayMs));
    if (this.failDeletes) throw Object.assign(new Error('delete failed'), { code: 'EIO' });
    this.records.delete(key);
  }

  private attemptWrite(): void {
    this.writeAttempts += 1;
    if (this.failWrites) throw Object.assign(new Error('write failed'), { code: 'ENOSPC' });
  }
}
