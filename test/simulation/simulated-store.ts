import { TokenStoreError } from '../../libs/payments-auth/src/errors/token-store.error';
import type {
  StoreDurability,
  StoreGeneration,
  StoreGenerations,
  StoreLeases,
  StoredToken,
  TokenStore,
} from '../../libs/payments-auth/src/stores/token-store.interface';
import type { SimulationHooks } from './simulation-hooks';

/** The data of one shared store (as one Redis holds it), which every instance's client reaches. */
export class SimulatedStoreData {
  readonly records = new Map<string, StoredToken>();
  readonly leases = new Map<string, { owner: string; until: number }>();
  marker: StoreGeneration | undefined;
  /** Access tokens whose record was written: what "durable before it is handed out" is checked against. */
  readonly persistedAccessTokens = new Set<string>();
  /** Refresh tokens the store holds now (a loss forgets them). */
  readonly heldRefreshTokens = new Set<string>();
  /** The next operations that fail, whoever sends them. */
  failures = 0;
  /** Until then (fake clock), every operation fails: the store unreachable for a while. */
  downUntil = 0;
  private owners = 0;

  /** A restart without persistence: every record, lease and the generation marker are gone. */
  lose(): void {
    this.records.clear();
    this.leases.clear();
    this.heldRefreshTokens.clear();
    this.marker = undefined;
  }

  nextOwner(): string {
    this.owners += 1;
    return `owner-${this.owners}`;
  }
}

/**
 * One instance's client of the shared store, with the contract of the Redis store (compare-and-set on the
 * version, leases that lapse by the clock, a generation marker, no persistence). Each operation is two steps the
 * schedule orders: the request reaching the store (where it applies, or fails if a fault is pending), and the
 * answer reaching the instance. An instance that crashes between the two never sees the answer.
 */
export class SimulatedStoreClient implements TokenStore {
  constructor(
    private readonly data: SimulatedStoreData,
    private readonly instance: number,
    private readonly hooks: SimulationHooks,
  ) {}

  private async operation<T>(name: string, apply: () => T): Promise<T> {
    await this.hooks.step(this.instance, `store ${name}`);
    const down = Date.now() < this.data.downUntil;
    if (down || this.data.failures > 0) {
      if (!down) this.data.failures -= 1;
      await this.hooks.step(this.instance, `store ${name} failed`);
      throw new TokenStoreError({}, name, 'connection reset (simulated)');
    }
    const result = apply();
    await this.hooks.step(this.instance, `store ${name} answered`);
    return result;
  }

  get(key: string): Promise<StoredToken | undefined> {
    return this.operation('get', () => copy(this.data.records.get(key)));
  }

  set(key: string, value: StoredToken): Promise<void> {
    return this.operation('set', () => this.write(key, value));
  }

  delete(key: string): Promise<void> {
    return this.operation('delete', () => void this.data.records.delete(key));
  }

  compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    return this.operation('compareAndSet', () => {
      const current = this.data.records.get(key);
      if (current !== undefined && current.version >= value.version) return false;
      this.write(key, value);
      return true;
    });
  }

  private write(key: string, value: StoredToken): void {
    this.data.records.set(key, copy(value) as StoredToken);
    this.data.persistedAccessTokens.add(value.accessToken);
    if (value.refreshToken !== undefined) this.data.heldRefreshTokens.add(value.refreshToken);
  }

  readonly leases: StoreLeases = {
    acquire: (key, ttlMs) =>
      this.operation('lease acquire', () => {
        const held = this.data.leases.get(key);
        if (held !== undefined && held.until > Date.now()) return undefined;
        const owner = this.data.nextOwner();
        this.data.leases.set(key, { owner, until: Date.now() + ttlMs });
        return owner;
      }),
    extend: (key, owner, ttlMs) =>
      this.operation('lease extend', () => {
        const held = this.data.leases.get(key);
        if (held === undefined || held.owner !== owner || held.until <= Date.now()) return false;
        held.until = Date.now() + ttlMs;
        return true;
      }),
    release: (key, owner) =>
      this.operation('lease release', () => {
        if (this.data.leases.get(key)?.owner === owner) this.data.leases.delete(key);
      }),
  };

  readonly generations: StoreGenerations = {
    read: () => this.operation('generation read', () => this.data.marker),
    claim: (candidate) =>
      this.operation('generation claim', () => {
        this.data.marker ??= { ...candidate };
        return this.data.marker;
      }),
  };

  durability(): Promise<StoreDurability> {
    return Promise.resolve({ survivesRestart: false, detail: 'simulated store without persistence' });
  }
}

function copy(record: StoredToken | undefined): StoredToken | undefined {
  return record === undefined ? undefined : { ...record };
}
