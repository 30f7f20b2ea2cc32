import { MemoryTokenStore } from '../../stores/memory.store.js';
import type { StoredToken } from '../../stores/token-store.interface.js';

/**
 * MemoryTokenStore with the members a store shared by several processes has (compare-and-set and leases, as
 * the file and Redis stores implement them), so one test can play several processes without a disk or Redis.
 * Leases lapse by the clock, so fake timers drive them too.
 */
export class SharedMemoryStore extends MemoryTokenStore {
  /** Every lease taken and released, in order: `take <key>`, `release <key>`. */
  readonly leaseLog: string[] = [];
  private readonly leases = new Map<string, { owner: string; until: number }>();
  private owners = 0;

  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const current = await this.get(key);
    if (current !== undefined && current.version >= value.version) return false;
    await this.set(key, value);
    return true;
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const held = this.leases.get(key);
    if (held !== undefined && held.until > Date.now()) return undefined;
    this.owners += 1;
    const owner = `owner-${this.owners}`;
    this.leases.set(key, { owner, until: Date.now() + ttlMs });
    this.leaseLog.push(`take ${key}`);
    return owner;
  }

  async extendLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const held = this.leases.get(key);
    if (held === undefined || held.owner !== owner || held.until <= Date.now()) return false;
    held.until = Date.now() + ttlMs;
    return true;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    if (this.leases.get(key)?.owner !== owner) return;
    this.leases.delete(key);
    this.leaseLog.push(`release ${key}`);
  }

  isLeased(key: string): boolean {
    const held = this.leases.get(key);
    return held !== undefined && held.until > Date.now();
  }
}
