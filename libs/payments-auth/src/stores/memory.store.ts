import type { StoreDescription, StoredToken, TokenStore } from './token-store.interface.js';

/** Keeps tokens in this process only: nothing survives a restart. For tests and stateless deployments. */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, StoredToken>();

  async get(key: string): Promise<StoredToken | undefined> {
    const record = this.records.get(key);
    return record && { ...record };
  }

  async set(key: string, value: StoredToken): Promise<void> {
    // A copy, so a caller mutating its object cannot change what is stored.
    this.records.set(key, { ...value });
  }

  /** No await between the read and the write: within one process that is what makes it atomic. */
  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const current = this.records.get(key);
    if (current !== undefined && current.version >= value.version) return false;
    this.records.set(key, { ...value });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.records.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.records.keys()].filter((key) => key.startsWith(prefix));
  }

  describe(): StoreDescription {
    return { type: 'MemoryTokenStore', location: "this process's memory", atRest: false, encrypted: false };
  }

  toJSON(): Record<string, unknown> {
    return { type: 'MemoryTokenStore', size: this.records.size };
  }
}
