/**
 * One token as kept in a store. Times are epoch milliseconds. For Blnk the record also carries the newest
 * refresh token, which must outlive the access token: stores never expire a record on their own.
 */
export interface StoredToken {
  accessToken: string;
  /** When the provider says the access token stops working. */
  expiresAt: number;
  /** When the token request was sent; lifetime = expiresAt - issuedAt. */
  issuedAt: number;
  /** Blnk only: the newest (rotated) refresh token. */
  refreshToken?: string;
  /** Increases with every write for this key, so the newest record can be told apart from a stale copy. */
  version: number;
  /** Non-secret facts from the token response (scope, payment types, currencies...). */
  details?: Record<string, unknown>;
  /**
   * Set when the provider refused this record's credentials or grant (e.g. `invalid_grant`): every instance
   * that reads it stops using the record's refresh token until a newer record (a new authorization) replaces it.
   */
  reauthorizationRequired?: { at: number; providerErrorCode?: string };
}

/** Identifies one lifetime of a store's data: a store that comes back empty comes back with a new generation. */
export interface StoreGeneration {
  id: string;
  /** Epoch ms when the generation was created. */
  createdAt: number;
}

/** Whether the store's data survives a restart of the store itself, as far as the store can tell. */
export interface StoreDurability {
  /** false: a restart of the store loses every record (e.g. Redis without AOF or RDB); undefined: unknown. */
  survivesRestart: boolean | undefined;
  /** Why, in words, for logs and health (never a secret). */
  detail: string;
}

/**
 * Where tokens live between requests and across restarts. Keys are `{provider}:{tenant}:{fingerprint}`, where
 * the fingerprint is a hash of the base URL and the key or client id, never of a secret.
 *
 * Stores shared by several processes implement the optional lock and compare-and-set members; without them
 * rotating Blnk refresh tokens are only safe in one process.
 */
export interface TokenStore {
  get(key: string): Promise<StoredToken | undefined>;
  set(key: string, value: StoredToken): Promise<void>;
  delete(key: string): Promise<void>;
  /** Called when the module shuts down. */
  close?(): Promise<void>;
  /**
   * Optional: writes only if `value.version` is newer than the stored record's, so a stale writer never
   * overwrites a newer token. Returns false when a newer (or equal) version is already stored.
   */
  compareAndSet?(key: string, value: StoredToken): Promise<boolean>;
  /**
   * Optional cross-process lock (a lease), for stores shared by several processes. Returns an owner id when
   * acquired, undefined when another owner holds it. The lease lapses by itself `ttlMs` after it was taken or
   * last extended, so a dead holder frees it within `ttlMs`.
   */
  acquireLock?(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * Keeps a held lease alive for another `ttlMs`. A store that can restart empty re-takes a lease that vanished
   * when nobody else took it. Returns false when the caller no longer holds the lease.
   */
  extendLock?(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only if `owner` still holds it. */
  releaseLock?(key: string, owner: string): Promise<void>;
  /**
   * Optional, for stores that can lose their data behind running processes (a Redis without persistence):
   * the current generation marker, or undefined when there is none (a new or emptied store).
   */
  readGeneration?(): Promise<StoreGeneration | undefined>;
  /** Creates the marker if there is none, and returns whichever marker is stored afterwards. */
  claimGeneration?(candidate: StoreGeneration): Promise<StoreGeneration>;
  /** Optional: whether the store's data survives a restart of the store, checked once at start-up. */
  durability?(): Promise<StoreDurability>;
}
