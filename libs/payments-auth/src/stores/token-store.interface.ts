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
}

/**
 * Where tokens live between requests and across restarts. Keys are `{provider}:{tenant}:{fingerprint}`, where
 * the fingerprint is a hash of the base URL and the key or client id, never of a secret.
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
   * Optional cluster-wide lock, for stores shared by several instances. Returns an owner id when acquired,
   * undefined when another owner holds it; the lock expires by itself after `ttlMs`.
   */
  acquireLock?(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock only if `owner` still holds it. */
  releaseLock?(key: string, owner: string): Promise<void>;
}
