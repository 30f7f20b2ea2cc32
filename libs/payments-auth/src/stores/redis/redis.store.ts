import type { Cluster, Redis } from 'ioredis';
import { openStoredPayload } from '../sealed-record.js';
import { TokenCipher } from '../token-cipher.js';
import type {
  LeasedRead,
  ResealReport,
  StoreAudit,
  StoreDescription,
  StoreDurability,
  StoreGenerations,
  StoreLeases,
  StoredToken,
  TokenStore,
} from '../token-store.interface.js';
import { isCluster, ownedClient, timedOut, topologyOf, waitUntilReady } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { RedisRecordWalk } from './redis-record-walk.js';
import { type RedisTokenStoreOptions, assertValid } from './redis-store-options.js';
import { ReplicaAcknowledgements } from './replica-acknowledgements.js';
import { RedisGenerations } from './redis-generations.js';
import { RedisLeases } from './redis-leases.js';
import { COMPARE_AND_SET, SET_RECORD } from './redis-scripts.js';

export type { WaitForReplicasOptions } from './replica-acknowledgements.js';
export type { RedisTokenStoreOptions } from './redis-store-options.js';

const MIN_TTL_MS = 1_000;

/**
 * Token store shared by several instances, on a single Redis, a Sentinel-managed primary or a Redis Cluster.
 * Records are hashes `{ v: version, d: payload }` so the version can be compared in Lua without decrypting;
 * the payload is AES-256-GCM encrypted when `encryption` is set. TTLs follow the access token's expiry, plus
 * `refreshTokenRetentionMs` when the record carries a refresh token. Renewal leases are owner-tagged keys, set
 * and released in Lua; every script stays within one hash slot (the one exception, a cluster master's generation
 * marker read beside a record, is explained at ACQUIRE_AND_READ).
 */
export class RedisTokenStore implements TokenStore {
  readonly redis: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly names: RedisKeys;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly timeoutMs: number;
  private readonly cipher?: TokenCipher;
  private readonly replicas?: ReplicaAcknowledgements;
  /**
   * With waitForReplicas: a connection of the store's own for writes followed by WAIT, which blocks the connection
   * it runs on for up to its timeout; on the shared one every other tenant's commands would queue behind it.
   */
  private readonly waiter?: Redis | Cluster;
  private readonly walk: RedisRecordWalk;
  private readonly leaseScripts: RedisLeases;

  constructor(options: RedisTokenStoreOptions) {
    assertValid(options);
    this.ownsClient = options.client === undefined;
    this.redis = options.client ?? ownedClient(options);
    this.redis.on('error', () => undefined); // reconnection is automatic; failures surface per command
    this.prefix = options.prefix ?? 'payments-auth';
    this.names = new RedisKeys(this.prefix, !isCluster(this.redis));
    this.retentionMs = options.refreshTokenRetentionMs ?? 30 * 24 * 3600_000;
    this.timeoutMs = options.commandTimeoutMs ?? 1_000;
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
    this.replicas = options.waitForReplicas ? new ReplicaAcknowledgements(options.waitForReplicas) : undefined;
    this.waiter = this.replicas ? this.redis.duplicate() : undefined;
    this.waiter?.on('error', () => undefined);
    const command = <T>(run: () => Promise<T>): Promise<T> => this.command(run);
    const generations = new RedisGenerations(this.redis, this.names, command);
    this.generations = generations;
    this.leaseScripts = new RedisLeases({
      redis: this.redis,
      names: this.names,
      generations,
      command,
      open: (key, version, payload) => this.open(key, version, payload),
      get: (key) => this.get(key),
    });
    // Own members, as a plain object: an app may spread or wrap them.
    this.leases = {
      acquire: (key, ttlMs) => this.leaseScripts.acquire(key, ttlMs),
      extend: (key, owner, ttlMs) => this.leaseScripts.extend(key, owner, ttlMs),
      release: (key, owner) => this.leaseScripts.release(key, owner),
    };
    this.walk = new RedisRecordWalk({
      redis: this.redis,
      servers: () => this.connectedServers(),
      names: this.names,
      cipher: this.cipher,
      command: (run) => this.command(run),
      // A resealed record must survive a failover as any write does: once resealed, the old key may be dropped.
      write: (script, args) => this.runWrite(script, args, true),
    });
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const [version, payload] = await this.command(() => this.redis.hmget(this.names.record(key), 'v', 'd'));
    return this.open(key, version, payload);
  }

  async set(key: string, value: StoredToken): Promise<void> {
    await this.writeRecord(SET_RECORD, key, value);
  }

  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    return this.writeRecord(COMPARE_AND_SET, key, value);
  }

  async delete(key: string): Promise<void> {
    await this.command(() => this.redis.del(this.names.record(key)));
  }

  /** Owner-tagged renewal leases, taken, extended and released in Lua. */
  readonly leases: StoreLeases;
  /** Store-loss detection: a marker bound to the server's run, one per master on a cluster. */
  readonly generations: StoreGenerations;

  /** Takes the lease with the record and the generation marker in one script (see ACQUIRE_AND_READ). */
  acquireAndRead(key: string, ttlMs: number): Promise<LeasedRead | undefined> {
    return this.leaseScripts.acquireAndRead(key, ttlMs);
  }

  /** SCAN on every server that holds records; lease names and the generation marker are left out. */
  keys(prefix: string): Promise<string[]> {
    return this.walk.keys(prefix);
  }

  reseal(): Promise<ResealReport> {
    return this.walk.reseal();
  }

  audit(): Promise<StoreAudit> {
    return this.walk.audit();
  }

  describe(): StoreDescription {
    return {
      type: 'RedisTokenStore',
      location: `redis prefix "${this.prefix}" on ${topologyOf(this.redis)}`,
      atRest: true,
      encrypted: this.cipher !== undefined,
    };
  }

  /**
   * Reads the persistence settings of the server, or of every master of a cluster (the least durable one
   * decides). Managed services often refuse CONFIG; then durability is unknown. RDB snapshots alone count as
   * not durable: the writes since the last snapshot (the newest refresh token) are lost on a restart.
   */
  async durability(): Promise<StoreDurability> {
    const servers = await this.connectedServers().catch((): Redis[] => []);
    if (servers.length === 0)
      return { survivesRestart: undefined, detail: 'Redis persistence unknown (not connected)' };
    const reports = await Promise.all(servers.map((server) => this.durabilityOf(server)));
    return (
      reports.find((report) => report.survivesRestart === false) ??
      reports.find((report) => report.survivesRestart === undefined) ??
      reports[0]
    );
  }

  async close(): Promise<void> {
    this.waiter?.disconnect(); // always the store's own, even on the app's client
    if (this.ownsClient) this.redis.disconnect();
  }

  toJSON(): Record<string, unknown> {
    return {
      type: 'RedisTokenStore',
      topology: isCluster(this.redis) ? 'cluster' : 'single',
      prefix: this.prefix,
      encrypted: this.cipher !== undefined,
      waitForReplicas: this.replicas?.required ?? 0,
    };
  }

  /** A Cluster client knows its masters only once it has connected and loaded the slot map. */
  private connectedServers(): Promise<Redis[]> {
    return this.command(async () => (isCluster(this.redis) ? this.redis.nodes('master') : [this.redis]));
  }

  private async durabilityOf(server: Redis): Promise<StoreDurability> {
    try {
      const [, appendonly] = (await this.command(() => server.config('GET', 'appendonly'))) as string[];
      if (appendonly === 'yes') return { survivesRestart: true, detail: 'Redis has AOF persistence (appendonly yes)' };
      const [, save] = (await this.command(() => server.config('GET', 'save'))) as string[];
      const snapshots = save
        ? `RDB snapshots only (save "${save}"): writes since the last snapshot are lost`
        : 'no AOF and no RDB snapshots';
      return { survivesRestart: false, detail: `Redis without persistence: ${snapshots}` };
    } catch {
      return { survivesRestart: undefined, detail: 'Redis persistence unknown (CONFIG GET refused)' };
    }
  }

  /**
   * Runs a record write script. A record with a refresh token is, when `waitForReplicas` is set, followed by
   * WAIT in the same pipeline (so on a cluster it goes to the node of the record's slot), and counts as
   * written only once enough replicas have it.
   */
  private writeRecord(script: string, key: string, value: StoredToken): Promise<boolean> {
    const args = [this.names.record(key), String(value.version), this.payloadOf(key, value), String(this.ttlOf(value))];
    return this.runWrite(script, args, value.refreshToken !== undefined);
  }

  /** Runs a write script on its one key, followed by WAIT when `waitForReplicas` asks for it; true when it wrote. */
  private async runWrite(script: string, args: string[], waitForReplicas: boolean): Promise<boolean> {
    const [replicas, waiter] = [this.replicas, this.waiter];
    if (replicas === undefined || waiter === undefined || !waitForReplicas)
      return (await this.command(() => this.redis.eval(script, 1, ...args))) === 1;
    // WAIT counts the replicas that have every earlier write of its own connection: the write goes on it too.
    const { written, acknowledged } = await this.command(
      () => replicas.writeAndWait(waiter.pipeline().eval(script, 1, ...args)),
      replicas.timeoutMs,
      waiter,
    );
    replicas.check(acknowledged);
    return written;
  }

  private open(key: string, version: string | null, payload: string | null): StoredToken | undefined {
    if (payload === null) return undefined;
    return openStoredPayload(this.cipher, payload, key, version === null ? undefined : Number(version));
  }

  private payloadOf(key: string, value: StoredToken): string {
    const json = JSON.stringify(value);
    return this.cipher ? this.cipher.seal(json, key) : json;
  }

  /** A refresh token, or the mark that a grant was refused, must outlive the access token (retention). */
  private ttlOf(value: StoredToken): number {
    const accessTtl = value.expiresAt - Date.now();
    const retained = value.refreshToken !== undefined || value.reauthorizationRequired !== undefined;
    return Math.max(MIN_TTL_MS, retained ? Math.max(accessTtl, 0) + this.retentionMs : accessTtl);
  }

  /**
   * Runs one command within `commandTimeoutMs` (plus `extraMs` for a WAIT), connection wait included. The
   * client has no offline queue, so while Redis is down a command waits for a connection until its deadline
   * and then fails, instead of piling up and replaying stale writes later.
   */
  private async command<T>(run: () => Promise<T>, extraMs = 0, client: Redis | Cluster = this.redis): Promise<T> {
    const deadline = Date.now() + this.timeoutMs + extraMs;
    await waitUntilReady(client, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
    });
    const pending = run();
    pending.catch(() => undefined); // the race's loser must not become an unhandled rejection
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }
}
