import type { StoreDescription, StoredToken, TokenStore } from './token-store.interface.js';

/** Keeps tokens in this process only: nothing survives a restart. For tests and stateless deployments. */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, StoredToken>();

  async get(key: string): Promise<StoredToken | undefined> {
    const record = this.records.get(key);
    return record && copyOf(record);
  }

  async set(key: string, value: StoredToken): Promise<void> {
    this.records.set(key, copyOf(value));
  }

  /** No await between the read and the write: within one process that is what makes it atomic. */
  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const current = this.records.get(key);
    if (current !== undefined && current.version >= value.version) return false;
    this.records.set(key, copyOf(value));
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

/**
 * A deep copy, so a caller changing its object (its `details` included) cannot change what is stored, nor the
 * reverse; through JSON, as the file and Redis stores keep records, so a record reads back the same from all three.
 */
function copyOf(record: StoredToken): StoredToken {
  return JSON.parse(JSON.stringify(record)) as StoredToken;
}
