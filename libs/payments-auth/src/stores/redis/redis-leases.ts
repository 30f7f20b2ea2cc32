import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { LeasedRead, StoreLeases, StoredToken } from '../token-store.interface.js';
import { isCluster } from './redis-client.js';
import type { RedisGenerations } from './redis-generations.js';
import type { RedisKeys } from './redis-keys.js';
import { ACQUIRE_AND_READ, ACQUIRE_LEASE, EXTEND_LEASE, RELEASE_LEASE } from './redis-scripts.js';

export interface RedisLeaseDependencies {
  redis: Redis | Cluster;
  names: RedisKeys;
  generations: RedisGenerations;
  command: <T>(run: () => Promise<T>) => Promise<T>;
  /** The stored token of a record's fields, as `get` returns it. */
  open(key: string, version: string | null, payload: string | null): StoredToken | undefined;
  /** The store's own `get`. */
  get(key: string): Promise<StoredToken | undefined>;
}

/** A Redis Cluster node refuses a script that touches a key of a slot it does not serve (its slot moved). */
const NOT_LOCAL = /non local key/i;

/**
 * Owner-tagged renewal leases, taken, extended and released in Lua under the names RedisKeys.leases gives. A
 * renewal takes its lease with `acquireAndRead`: the lease, the record and the generation marker in one script.
 */
export class RedisLeases implements StoreLeases {
  constructor(private readonly deps: RedisLeaseDependencies) {}

  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    const names = this.deps.names.leases(key);
    const result = await this.deps.command(() =>
      this.deps.redis.eval(ACQUIRE_LEASE, names.length, ...names, owner, String(ttlMs)),
    );
    return result === 1 ? owner : undefined;
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const names = this.deps.names.leases(key);
    const result = await this.deps.command(() =>
      this.deps.redis.eval(EXTEND_LEASE, names.length, ...names, owner, String(ttlMs)),
    );
    return result === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    const names = this.deps.names.leases(key);
    await this.deps.command(() => this.deps.redis.eval(RELEASE_LEASE, names.length, ...names, owner));
  }

  /**
   * The lease, the record and the marker in one script. The record is opened when the engine reads it, so one
   * that cannot be opened fails as `get` would, with the lease held and released as usual. On a cluster, while
   * the slot migrates a script declaring two keys gets TRYAGAIN (until its deadline) where single-key commands
   * follow ASK: the lease is then taken alone and the record read on its own.
   */
  async acquireAndRead(key: string, ttlMs: number): Promise<LeasedRead | undefined> {
    const record = this.deps.names.record(key);
    const marker = this.deps.generations.beside(record);
    let reply: Awaited<ReturnType<RedisLeases['acquireReading']>>;
    try {
      reply = await this.acquireReading(key, record, marker, ttlMs).catch((error: unknown) => {
        // The marker's slot moved to another master meanwhile: nothing was written; take the lease without it.
        if (marker !== '' && error instanceof Error && NOT_LOCAL.test(error.message))
          return this.acquireReading(key, record, '', ttlMs);
        throw error;
      });
    } catch (error) {
      if (!isCluster(this.deps.redis) || !slotInFlux(error)) throw error;
      return this.acquireThenRead(key, ttlMs);
    }
    if (reply.taken !== 1) return undefined;
    const generation =
      reply.marker === '' ? undefined : this.deps.generations.observed(reply.marker, reply.runId, reply.markerText);
    return leasedRead(reply.owner, () => this.deps.open(key, reply.version, reply.payload), generation);
  }

  private async acquireThenRead(key: string, ttlMs: number): Promise<LeasedRead | undefined> {
    const owner = await this.acquire(key, ttlMs);
    if (owner === undefined) return undefined;
    const read = await this.deps.get(key).then(
      (record) => () => record,
      (error: unknown) => () => {
        throw error;
      },
    );
    return leasedRead(owner, read, undefined);
  }

  private async acquireReading(key: string, record: string, marker: string, ttlMs: number) {
    const owner = randomUUID();
    const names = [...this.deps.names.leases(key), record];
    const [taken, version, payload, runId, markerText] = (await this.deps.command(() =>
      this.deps.redis.eval(ACQUIRE_AND_READ, names.length, ...names, owner, String(ttlMs), marker),
    )) as [number, (string | null)?, (string | null)?, string?, (string | null)?];
    return {
      taken,
      owner,
      version: version ?? null,
      payload: payload ?? null,
      marker,
      runId: runId ?? '',
      markerText: markerText ?? null,
    };
  }
}

/** A LeasedRead whose record is opened on first access, and throws there what opening it threw. */
function leasedRead(
  owner: string,
  open: () => StoredToken | undefined,
  generation: LeasedRead['generation'],
): LeasedRead {
  let opened: { record: StoredToken | undefined } | undefined;
  const read: LeasedRead = {
    owner,
    get record() {
      opened ??= { record: open() };
      return opened.record;
    },
  };
  return generation === undefined ? read : Object.assign(read, { generation });
}

/**
 * A multi-key command on a slot being migrated: TRYAGAIN, which ioredis retries between the two nodes until it
 * gives up on too many redirections, or until our deadline runs out.
 */
function slotInFlux(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ETIMEDOUT') return true;
  return (
    typeof message === 'string' &&
    (message.startsWith('TRYAGAIN') || message.startsWith('Too many Cluster redirections'))
  );
}
