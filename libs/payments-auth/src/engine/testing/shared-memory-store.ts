import { MemoryTokenStore } from '../../stores/memory.store.js';
import type { StoreLeases } from '../../stores/token-store.interface.js';

/**
 * MemoryTokenStore with the leases a store shared by several processes has (as the file and Redis stores
 * implement them), so one test can play several processes without a disk or Redis. Leases lapse by the clock,
 * so fake timers drive them too.
 */
export class SharedMemoryStore extends MemoryTokenStore {
  /** Every lease taken and released, in order: `take <key>`, `release <key>`. */
  readonly leaseLog: string[] = [];
  private readonly held = new Map<string, { owner: string; until: number }>();
  private owners = 0;

  readonly leases: StoreLeases = {
    acquire: async (key, ttlMs) => {
      const current = this.held.get(key);
      if (current !== undefined && current.until > Date.now()) return undefined;
      this.owners += 1;
      const owner = `owner-${this.owners}`;
      this.held.set(key, { owner, until: Date.now() + ttlMs });
      this.leaseLog.push(`take ${key}`);
      return owner;
    },
    extend: async (key, owner, ttlMs) => {
      const current = this.held.get(key);
      if (current === undefined || current.owner !== owner || current.until <= Date.now()) return false;
      current.until = Date.now() + ttlMs;
      return true;
    },
    release: async (key, owner) => {
      if (this.held.get(key)?.owner !== owner) return;
      this.held.delete(key);
      this.leaseLog.push(`release ${key}`);
    },
  };

  isLeased(key: string): boolean {
    const current = this.held.get(key);
    return current !== undefined && current.until > Date.now();
  }
}
