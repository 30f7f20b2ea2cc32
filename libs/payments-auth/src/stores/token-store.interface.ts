/**
 * One token as kept in a store. Times are epoch milliseconds. For Blnk the record also carries the newest
 * refresh token, which must outlive the access token: a store never expires a record that carries a refresh
 * token or a re-authorization mark on its own (the Redis store drops only records whose access token has expired
 * and that carry neither).
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
  /** Rotating grants: how the chain of refresh tokens began (carried over from record to record). */
  grant?: 'seed' | 'authorization';
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

/** What `reseal()` did, counted in records (token records and every other record the store holds). */
export interface ResealReport {
  /** Records found. */
  records: number;
  /** Records rewritten under the newest key. */
  resealed: number;
  /** Records already sealed with the newest key, left as they were. */
  alreadyCurrent: number;
  /** How many of `resealed` were stored unencrypted. */
  plaintext: number;
  /** Records sealed with a key no longer configured, or damaged: left in place, never deleted. */
  unreadable: number;
}

/** How the records at rest are protected, told from each record's key id without decrypting anything. */
export interface StoreAudit {
  /** Every record the store holds (tokens and pending authorizations). */
  records: number;
  /** Current: nothing to do. */
  sealedWithNewestKey: number;
  /** Still readable, but sealed with an older key: `reseal()` before that key is dropped from `encryption.keys`. */
  sealedWithOlderKey: number;
  /** Stored unencrypted (written before encryption was configured, or by an instance without it). */
  plaintext: number;
  /** Sealed with a key not configured here, or damaged. */
  unreadable: number;
}

/** Where a store keeps its records, in words for the start-up log (never a password or a token). */
export interface StoreDescription {
  /** The store's kind, e.g. `FileTokenStore`. */
  type: string;
  /** e.g. an absolute directory, or the Redis prefix and topology. */
  location: string;
  /** Whether records are sealed with `encryption` keys. */
  encrypted: boolean;
  /** False for a store that keeps records only in this process's memory: nothing is written at rest. Default true. */
  atRest?: boolean;
}

/**
 * Cross-process renewal leases, for stores shared by several processes: all three members or none (a store
 * offering only some is refused at start-up), because a lease that cannot be extended lasts only its first TTL
 * and one that cannot be released blocks its key until the TTL runs out.
 */
export interface StoreLeases {
  /**
   * Takes the key's lease. Returns an owner id when taken, undefined when another owner holds it. The lease
   * lapses by itself `ttlMs` after it was taken or last extended, so a dead holder frees it within `ttlMs`.
   */
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * Keeps a held lease alive for another `ttlMs`. A store that can restart empty re-takes a lease that vanished
   * when nobody else took it. Returns false when `owner` no longer holds the lease.
   */
  extend(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease only if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

/** What `TokenStore.acquireAndRead` returns: the lease and what was read with it, as one operation. */
export interface LeasedRead {
  /** The owner id, as `leases.acquire` returns it. */
  owner: string;
  /**
   * The key's record, as `get` would return it; reading it throws what `get` would have thrown (a record that
   * cannot be opened), so the engine reports it as it reports a failed `get`.
   */
  readonly record: StoredToken | undefined;
  /**
   * On a store with `generations`: the marker as `generations.read()` would return it, read in the same
   * operation. Absent when the store could not read it there; the engine then calls `generations.read()`.
   */
  generation?: { marker: StoreGeneration | undefined };
}

/**
 * Store-loss detection, for stores that can lose their data behind running processes (a Redis without
 * persistence): a generation marker that exists exactly as long as the data it vouches for. Both members or none.
 */
export interface StoreGenerations {
  /** The current marker, or undefined when there is none (a new or emptied store). */
  read(): Promise<StoreGeneration | undefined>;
  /** Creates the marker if there is none (first writer wins), and returns whichever marker is stored afterwards. */
  claim(candidate: StoreGeneration): Promise<StoreGeneration>;
}

/**
 * Where tokens live between requests and across restarts. Keys are `{provider}:{tenant}:{fingerprint}`, where
 * the fingerprint is a hash of the base URL and the key or client id, never of a secret.
 *
 * The core (`get`, `set`, `delete`, `compareAndSet`) is required. The rest are optional capabilities, each
 * whole or absent: `leases` and `generations` are objects whose members come together, and a store offering
 * part of one is refused at start-up with a PaymentsAuthConfigError naming what is missing. Without `leases`
 * rotating Blnk refresh tokens are only safe in one process. The maintenance members (`keys`, `reseal`,
 * `audit`, `describe`) and `durability` are single methods, each useful on its own.
 */
export interface TokenStore {
  get(key: string): Promise<StoredToken | undefined>;
  set(key: string, value: StoredToken): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Writes only if `value.version` is newer than the stored record's, so a stale writer never overwrites a
   * newer token. Returns false when a newer (or equal) version is already stored. Atomic across every process
   * that shares the store: of concurrent writes of one version, exactly one returns true.
   */
  compareAndSet(key: string, value: StoredToken): Promise<boolean>;
  /** Called when the module shuts down. */
  close?(): Promise<void>;
  /** Optional: renewal leases (single flight across processes). */
  readonly leases?: StoreLeases;
  /**
   * Optional, with `leases` only, to save round trips: takes the key's lease exactly as `leases.acquire` does
   * and, only when it is taken, reads in the same operation what a renewal reads next (the record as this
   * store's own `get` reads it, and the generation marker where it can). Undefined when another owner holds the
   * lease. A store that passes on another store's `leases` (a wrapper with its own `get`) leaves it out.
   */
  acquireAndRead?(key: string, ttlMs: number): Promise<LeasedRead | undefined>;
  /** Optional: store-loss detection, for stores that can come back empty or from an older copy. */
  readonly generations?: StoreGenerations;
  /** Optional: whether the store's data survives a restart of the store, checked once at start-up. */
  durability?(): Promise<StoreDurability>;
  /**
   * Optional: every record key (as the engine names it, without a store's own prefix) that starts with `prefix`,
   * e.g. `blnk:acme:`. Removing a tenant uses it to delete all of the tenant's records, including those written
   * under earlier credentials, by other replicas or before a restart, which no running process remembers.
   */
  keys?(prefix: string): Promise<string[]>;
  /**
   * Optional: rewrites every record the store holds (tokens, pending authorizations, plaintext ones too) under the
   * newest encryption key, so an older key can be dropped from `encryption.keys` without losing idle tenants'
   * grants. Versions stay as they are and a concurrent write is never overwritten. Records sealed with a key no
   * longer configured are counted and left in place. Throws when the store has no encryption keys.
   */
  reseal?(): Promise<ResealReport>;
  /** Optional: the same walk as `reseal()`, writing nothing and decrypting nothing; for the start-up report. */
  audit?(): Promise<StoreAudit>;
  /** Optional: where the records are, logged once at start-up. */
  describe?(): StoreDescription;
}
