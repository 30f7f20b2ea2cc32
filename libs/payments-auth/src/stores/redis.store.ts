import { randomUUID } from 'node:crypto';
import Redis, { RedisOptions } from 'ioredis';
import { TokenCipher, TokenEncryptionOptions } from './token-cipher';
import type { StoredToken, TokenStore } from './token-store.interface';

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

/** Delete the lock only if we still own it (it may have expired and been taken by another instance). */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const MIN_TTL_MS = 1_000;

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
        ...options.connection,
      });
    this.redis.on('error', () => undefined); // reconnection is automatic; failures surface per command
    this.prefix = options.prefix ?? 'payments-auth';
    this.retentionMs = options.refreshTokenRetentionMs ?? 30 * 24 * 3600_000;
    this.timeoutMs = options.commandTimeoutMs ?? 1_000;
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const payload = await this.command(() => this.redis.hget(this.keyOf(key), 'd'));
    if (payload === null) return undefined;
    return JSON.parse(this.cipher ? this.cipher.open(payload, key) : payload) as StoredToken;
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

  async releaseLock(key: string, owner: string): Promise<void> {
    await this.command(() => this.redis.eval(RELEASE_LOCK, 1, this.lockOf(key), owner));
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

  private payloadOf(key: string, value: StoredToken): string {
    const json = JSON.stringify(value);
    return this.cipher ? this.cipher.seal(json, key) : json;
  }

  private ttlOf(value: StoredToken): number {
    const accessTtl = value.expiresAt - Date.now();
    return Math.max(MIN_TTL_MS, value.refreshToken !== undefined ? accessTtl + this.retentionMs : accessTtl);
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

function timedOut(): Error {
  return Object.assign(new Error('Redis command timed out'), { code: 'ETIMEDOUT' });
}
