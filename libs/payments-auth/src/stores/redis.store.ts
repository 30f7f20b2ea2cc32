import { randomUUID } from 'node:crypto';
import Redis, { RedisOptions } from 'ioredis';
import { assertVersionMatches, openSealedRecord } from './sealed-record.js';
import { TokenCipher, TokenEncryptionOptions } from './token-cipher.js';
import type { StoreDurability, StoreGeneration, StoredToken, TokenStore } from './token-store.interface.js';

export interface RedisTokenStoreOptions {
  /** An existing ioredis client (not closed by the store), or connection options for one the store owns. */
  client?: Redis;
  connection?: RedisOptions;
  /** Key prefix; keys are `{prefix}:{provider}:{tenant}:{fingerprint}`. Default `payments-auth`. */
  prefix?: string;
  /** How long a record with a refresh token outlives its access token. Default 30 days. */
  refreshTokenRetentionMs?: number;
  /** Deadline for one Redis command: a slow or unreachable Redis fails fast instead of stalling renewals. Default 1000 ms. */
  commandTimeoutMs?: number;
  encryption?: TokenEncryptionOptions;
}

/** Write only if the stored version is older: a stale writer never overwrites a newer token. */
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * Extend the lease if we own it, or re-take it if it vanished (Redis restarted empty while our token call ran):
 * otherwise another instance could take the missing lock and refresh with the same refresh token.
 */
const EXTEND_LOCK = `
local current = redis.call('GET', KEYS[1])
if current ~= false and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/**
 * Keep the generation marker if it was written while this server process (its run_id) was running; otherwise
 * (the server restarted, from an AOF or RDB file that may miss the last writes, or a replica took over) write a
 * new one, so every instance sees a new generation and puts back what it holds.
 */
const CLAIM_GENERATION = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, marker = pcall(cjson.decode, current)
  if ok and type(marker) == 'table' and (ARGV[2] == '' or marker.runId == ARGV[2]) then return current end
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

/** Delete the lock only if we still own it (it may have expired and been taken by another instance). */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const MIN_TTL_MS = 1_000;
/** ioredis waits up to 2 s between reconnection attempts by default; an instance must rejoin quickly after a restart to put its tokens back. */
const MAX_RECONNECT_DELAY_MS = 500;

/**
 * Token store shared by several instances. Records are hashes `{ v: version, d: payload }` so the version can
 * be compared in Lua without decrypting; the payload is AES-256-GCM encrypted when `encryption` is set. TTLs
 * follow the access token's expiry, plus `refreshTokenRetentionMs` when the record carries a refresh token.
 * Locks are `SET NX PX` with an owner id, released by compare-and-delete.
 */
export class RedisTokenStore implements TokenStore {
  readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly timeoutMs: number;
  private readonly cipher?: TokenCipher;

  constructor(options: RedisTokenStoreOptions) {
    this.ownsClient = options.client === undefined;
    this.redis =
      options.client ??
      new Redis({
        // Fail commands at once while disconnected rather than queueing them behind a dead connection.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt: number) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
        ...options.connection,
      });
    this.redis.on('error', () => undefined); // reconnection is automatic; failures surface per command
    this.prefix = options.prefix ?? 'payments-auth';
    this.retentionMs = options.refreshTokenRetentionMs ?? 30 * 24 * 3600_000;
    this.timeoutMs = options.commandTimeoutMs ?? 1_000;
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const [version, payload] = await this.command(() => this.redis.hmget(this.keyOf(key), 'v', 'd'));
    if (payload === null) return undefined;
    const outerVersion = version === null ? undefined : Number(version);
    if (this.cipher) return openSealedRecord(this.cipher, payload, key, outerVersion);
    const record = JSON.parse(payload) as StoredToken;
    assertVersionMatches(record, outerVersion);
    return record;
  }

  async set(key: string, value: StoredToken): Promise<void> {
    const ttl = String(this.ttlOf(value));
    await this.command(() => this.redis.multi().del(this.keyOf(key)).hset(this.keyOf(key), 'v', value.version, 'd', this.payloadOf(key, value)).pexpire(this.keyOf(key), ttl).exec());
  }

  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const result = await this.command(() => this.redis.eval(COMPARE_AND_SET, 1, this.keyOf(key), String(value.version), this.payloadOf(key, value), String(this.ttlOf(value))),
    );
    return result === 1;
  }

  async delete(key: string): Promise<void> {
    await this.command(() => this.redis.del(this.keyOf(key)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    const result = await this.command(() => this.redis.set(this.lockOf(key), owner, 'PX', ttlMs, 'NX'));
    return result === 'OK' ? owner : undefined;
  }

  async extendLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.command(() => this.redis.eval(EXTEND_LOCK, 1, this.lockOf(key), owner, String(ttlMs)))) === 1;
  }

  async releaseLock(key: string, owner: string): Promise<void> {
    await this.command(() => this.redis.eval(RELEASE_LOCK, 1, this.lockOf(key), owner));
  }

  /** The marker, unless it was written under an earlier run of the server (see CLAIM_GENERATION). */
  async readGeneration(): Promise<StoreGeneration | undefined> {
    const [text, runId] = await Promise.all([this.command(() => this.redis.get(this.generationKey())), this.serverRunId()]);
    const marker = parseGeneration(text);
    return marker !== undefined && (runId === '' || marker.runId === runId) ? { id: marker.id, createdAt: marker.createdAt } : undefined;
  }

  async claimGeneration(candidate: StoreGeneration): Promise<StoreGeneration> {
    const runId = await this.serverRunId();
    // No TTL: the marker lives exactly as long as the data set it vouches for.
    const stored = await this.command(() =>
      this.redis.eval(CLAIM_GENERATION, 1, this.generationKey(), JSON.stringify({ ...candidate, runId }), runId),
    );
    const marker = parseGeneration(typeof stored === 'string' ? stored : null) ?? candidate;
    return { id: marker.id, createdAt: marker.createdAt };
  }

  /**
   * The server process's run_id (a new one after every restart and on a promoted replica); '' when the server
   * refuses INFO (then only an emptied store is detected). Any other failure fails the check: a timed-out INFO
   * must not pass a marker from before a restart.
   */
  private async serverRunId(): Promise<string> {
    let info: string;
    try {
      info = await this.command(() => this.redis.info('server'));
    } catch (error) {
      if (/NOPERM|unknown command|disabled/i.test((error as Error).message ?? '')) return '';
      throw error;
    }
    return /^run_id:([0-9a-f]+)/m.exec(info)?.[1] ?? '';
  }

  /**
   * Reads the server's persistence settings. Managed services often refuse CONFIG; then durability is unknown.
   * RDB snapshots alone count as not durable: the writes since the last snapshot (the newest refresh token) are
   * lost on a restart.
   */
  async durability(): Promise<StoreDurability> {
    try {
      const [, appendonly] = (await this.command(() => this.redis.config('GET', 'appendonly'))) as string[];
      if (appendonly === 'yes') return { survivesRestart: true, detail: 'Redis has AOF persistence (appendonly yes)' };
      const [, save] = (await this.command(() => this.redis.config('GET', 'save'))) as string[];
      const snapshots = save ? `RDB snapshots only (save "${save}"): writes since the last snapshot are lost` : 'no AOF and no RDB snapshots';
      return { survivesRestart: false, detail: `Redis without persistence: ${snapshots}` };
    } catch {
      return { survivesRestart: undefined, detail: 'Redis persistence unknown (CONFIG GET refused)' };
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.redis.disconnect();
  }

  toJSON(): Record<string, unknown> {
    return { type: 'RedisTokenStore', prefix: this.prefix, encrypted: this.cipher !== undefined };
  }

  private keyOf(key: string): string {
    return `${this.prefix}:${key}`;
  }

  private lockOf(key: string): string {
    return `${this.prefix}:lock:${key}`;
  }

  private generationKey(): string {
    return `${this.prefix}:generation`;
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
   * Runs one command within `commandTimeoutMs`, connection wait included. The client has no offline queue,
   * so while Redis is down commands fail at once instead of piling up and replaying stale writes later.
   */
  private async command<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    await this.connected(deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
    });
    const pending = run();
    pending.catch(() => undefined); // the race's loser must not become an unhandled rejection
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }

  private connected(deadline: number): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(Object.assign(new Error('Redis is not connected'), { code: 'ECONNREFUSED' }));
      }, Math.max(0, deadline - Date.now()));
      this.redis.once('ready', onReady);
    });
  }
}

function parseGeneration(text: string | null): (StoreGeneration & { runId?: string }) | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<StoreGeneration & { runId: string }>;
    if (typeof parsed.id === 'string' && typeof parsed.createdAt === 'number') return { id: parsed.id, createdAt: parsed.createdAt, runId: parsed.runId };
  } catch {
    // fall through
  }
  return undefined; // not a marker of ours: claimed over
}

function timedOut(): Error {
  return Object.assign(new Error('Redis command timed out'), { code: 'ETIMEDOUT' });
}
