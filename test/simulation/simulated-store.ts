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

/** What one Redis node holds; a replica holds a copy of its primary's as of the last replication. */
interface NodeState {
  readonly records: Map<string, StoredToken>;
  readonly leases: Map<string, { owner: string; until: number }>;
  marker: StoreGeneration | undefined;
  /** Refresh tokens written to this node's data (a loss forgets them, a failover keeps the replica's). */
  readonly heldRefreshTokens: Set<string>;
}

function emptyNode(): NodeState {
  return { records: new Map(), leases: new Map(), marker: undefined, heldRefreshTokens: new Set() };
}

function copyNode(node: NodeState): NodeState {
  return {
    records: new Map([...node.records].map(([key, record]) => [key, { ...record }])),
    leases: new Map([...node.leases].map(([key, lease]) => [key, { ...lease }])),
    marker: node.marker === undefined ? undefined : { ...node.marker },
    heldRefreshTokens: new Set(node.heldRefreshTokens),
  };
}

/**
 * The data of one shared store (as one Redis primary with a replica holds it), which every instance's client
 * reaches. Replication is asynchronous: the replica catches up at points the schedule picks, and a failover
 * promotes it with whatever it had. With `waitForReplicas` a record carrying a refresh token counts as written
 * only once the replica has it (Redis WAIT), as `RedisTokenStore({ waitForReplicas })` does.
 */
export class SimulatedStoreData {
  primary: NodeState = emptyNode();
  private replica: NodeState = emptyNode();
  /** Bumped by a failover or a loss: a replication scheduled before it copies nothing, a WAIT under way fails. */
  private epoch = 0;
  /** Access tokens whose record the primary had at some point: what another instance may read and hand out. */
  readonly writtenAccessTokens = new Set<string>();
  /** Access tokens whose record was durable as the store promises (with WAIT: on the replica too). */
  readonly durableAccessTokens = new Set<string>();
  /** The next operations that pass before the planned failures start. */
  passes = 0;
  /** The next operations that fail, whoever sends them (after `passes`). */
  failures = 0;
  /** Until then (the store's clock), every operation fails: the store unreachable for a while. */
  downUntil = 0;
  private owners = 0;
  /** Which instance took each lease, by owner. */
  private readonly leaseTakers = new Map<string, number>();

  constructor(
    /** The store's clock (Redis judges lease expiry by its own). */
    readonly now: () => number,
    readonly waitForReplicas: boolean,
    /** Resolves when the schedule lets the replica catch up. */
    private readonly replication: () => Promise<void>,
  ) {}

  /** A restart without persistence: every record, lease and the generation marker are gone. */
  lose(): void {
    this.epoch += 1; // a WAIT under way fails with the connection, as after any restart
    this.primary = emptyNode();
  }

  /**
   * The replica promoted: the primary's writes it had not received are gone, and its marker was written under
   * another server run (`run_id`), so it reads as no marker: a new generation.
   */
  failOver(): void {
    this.epoch += 1;
    this.primary = copyNode(this.replica);
    this.primary.marker = undefined;
  }

  wrote(record: StoredToken): void {
    this.writtenAccessTokens.add(record.accessToken);
    if (!this.waitForReplicas) this.durableAccessTokens.add(record.accessToken);
  }

  /** Schedules the replica catching up with the primary; true once it has, false when a failover came first. */
  async replicate(): Promise<boolean> {
    const epoch = this.epoch;
    await this.replication();
    if (this.epoch !== epoch) return false;
    this.replica = copyNode(this.primary);
    if (this.waitForReplicas)
      for (const record of this.primary.records.values()) this.durableAccessTokens.add(record.accessToken);
    return true;
  }

  nextOwner(instance: number): string {
    this.owners += 1;
    const owner = `owner-${this.owners}`;
    this.leaseTakers.set(owner, instance);
    return owner;
  }

  /** Whether the primary holds a lease `instance` took that has not lapsed (by the store's clock). */
  holdsLease(instance: number): boolean {
    return [...this.primary.leases.values()].some(
      (lease) => this.leaseTakers.get(lease.owner) === instance && lease.until > this.now(),
    );
  }
}

/**
 * One instance's client of the shared store, with the contract of the Redis store (compare-and-set on the
 * version, leases that lapse by the store's clock, a generation marker, no persistence). Each operation is two
 * steps the schedule orders: the request reaching the store (where it applies, or fails if a fault is pending),
 * and the answer reaching the instance. An instance that crashes between the two never sees the answer. Every
 * write is replicated later; with `waitForReplicas`, a record write carrying a refresh token answers only once
 * the replica has it (WAIT follows the write even when the compare-and-set wrote nothing, as in a pipeline).
 */
export class SimulatedStoreClient implements TokenStore {
  constructor(
    private readonly data: SimulatedStoreData,
    private readonly instance: number,
    private readonly hooks: SimulationHooks,
  ) {}

  /** `effect`: a read; a write, replicated later; or a write of a refresh token that WAIT may hold up. */
  private async operation<T>(name: string, apply: (node: NodeState) => T, effect: Effect = 'write'): Promise<T> {
    await this.hooks.step(this.instance, `store ${name}`);
    const down = this.data.now() < this.data.downUntil;
    if (!down && this.data.passes > 0) this.data.passes -= 1;
    else if (down || this.data.failures > 0) {
      if (!down) this.data.failures -= 1;
      await this.failed(name, 'connection reset');
    }
    const result = apply(this.data.primary);
    if (effect !== 'read') {
      const replicated = this.data.replicate();
      if (effect === 'refresh-token write' && this.data.waitForReplicas && !(await replicated))
        await this.failed(name, 'failed over before a replica acknowledged (WAIT)');
    }
    await this.hooks.step(this.instance, `store ${name} answered`);
    return result;
  }

  private async failed(name: string, why: string): Promise<never> {
    await this.hooks.step(this.instance, `store ${name} failed`);
    throw new TokenStoreError({}, name, `${why} (simulated)`);
  }

  get(key: string): Promise<StoredToken | undefined> {
    return this.operation('get', (node) => copy(node.records.get(key)), 'read');
  }

  set(key: string, value: StoredToken): Promise<void> {
    return this.operation('set', (node) => this.write(node, key, value), writeOf(value));
  }

  delete(key: string): Promise<void> {
    return this.operation('delete', (node) => void node.records.delete(key));
  }

  compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    return this.operation(
      'compareAndSet',
      (node) => {
        const current = node.records.get(key);
        if (current !== undefined && current.version >= value.version) return false;
        this.write(node, key, value);
        return true;
      },
      writeOf(value),
    );
  }

  private write(node: NodeState, key: string, value: StoredToken): void {
    node.records.set(key, copy(value) as StoredToken);
    if (value.refreshToken !== undefined) node.heldRefreshTokens.add(value.refreshToken);
    this.data.wrote(value);
  }

  readonly leases: StoreLeases = {
    acquire: (key, ttlMs) =>
      this.operation('lease acquire', (node) => {
        const held = node.leases.get(key);
        if (held !== undefined && held.until > this.data.now()) return undefined;
        const owner = this.data.nextOwner(this.instance);
        node.leases.set(key, { owner, until: this.data.now() + ttlMs });
        return owner;
      }),
    extend: (key, owner, ttlMs) =>
      this.operation('lease extend', (node) => {
        const held = node.leases.get(key);
        if (held === undefined || held.owner !== owner || held.until <= this.data.now()) return false;
        held.until = this.data.now() + ttlMs;
        return true;
      }),
    release: (key, owner) =>
      this.operation('lease release', (node) => {
        if (node.leases.get(key)?.owner === owner) node.leases.delete(key);
      }),
  };

  readonly generations: StoreGenerations = {
    read: () => this.operation('generation read', (node) => node.marker, 'read'),
    claim: (candidate) =>
      this.operation('generation claim', (node) => {
        node.marker ??= { ...candidate };
        return node.marker;
      }),
  };

  durability(): Promise<StoreDurability> {
    return Promise.resolve({ survivesRestart: false, detail: 'simulated store without persistence' });
  }
}

type Effect = 'read' | 'write' | 'refresh-token write';

function writeOf(record: StoredToken): Effect {
  return record.refreshToken === undefined ? 'write' : 'refresh-token write';
}

function copy(record: StoredToken | undefined): StoredToken | undefined {
  return record === undefined ? undefined : { ...record };
}
