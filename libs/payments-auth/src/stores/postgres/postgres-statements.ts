/*
 * The store's SQL. Each operation is one statement, so it is atomic on its own and costs one round trip; no
 * transaction is ever left open. Lease expiry is judged by the database's clock (clock_timestamp()), never by the
 * instances', so clock drift between instances cannot hand one lease to two holders.
 */

/** Table names, as validated by postgres-store-options.ts (lower-case identifiers: nothing to quote). */
export interface PostgresTables {
  schema: string;
  table: string;
}

/**
 * What the generation marker is bound to: the cluster (system identifier, new after initdb or a logical restore
 * elsewhere), its timeline (new after a point-in-time restore or a standby's promotion) and the database's oid
 * (new after a restore into another database). When this session's commits may be lost in a crash
 * (synchronous_commit or fsync off), the server's start time too, so a restart counts as a possible loss, as a
 * Redis without AOF does.
 */
export const BINDING = `(SELECT s.system_identifier::text || '/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)
    || '/' || d.oid::text
    || CASE WHEN current_setting('synchronous_commit') = 'off' OR current_setting('fsync') = 'off'
       THEN '/' || pg_postmaster_start_time()::text ELSE '' END
  FROM pg_control_system() s, pg_database d WHERE d.datname = current_database())`;

/** Where pg_control_system() is refused (some managed services): only the database's oid, and an empty store. */
export const FALLBACK_BINDING = `(SELECT oid::text FROM pg_database WHERE datname = current_database())`;

export class PostgresStatements {
  readonly records: string;
  readonly leases: string;
  readonly generation: string;

  constructor({ schema, table }: PostgresTables) {
    this.records = `${schema}.${table}`;
    this.leases = `${schema}.${table}_leases`;
    this.generation = `${schema}.${table}_generation`;
  }

  /** The tables, as `postgresMigrationSql()` hands them to an app that runs its migrations itself. */
  migration(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.records} (
  key text PRIMARY KEY,
  version bigint NOT NULL,
  payload text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`,
      `CREATE TABLE IF NOT EXISTS ${this.leases} (
  key text PRIMARY KEY,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL
)`,
      `CREATE TABLE IF NOT EXISTS ${this.generation} (
  id smallint PRIMARY KEY CHECK (id = 1),
  marker text NOT NULL
)`,
    ];
  }

  get get(): string {
    return `SELECT version, payload FROM ${this.records} WHERE key = $1`;
  }

  get set(): string {
    return `INSERT INTO ${this.records} AS r (key, version, payload) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version, payload = EXCLUDED.payload, updated_at = clock_timestamp()`;
  }

  /** Writes only over an older version; of concurrent writers of one version, the row lock lets exactly one win. */
  get compareAndSet(): string {
    return `${this.set}
WHERE r.version < EXCLUDED.version`;
  }

  get delete(): string {
    return `DELETE FROM ${this.records} WHERE key = $1`;
  }

  /** Takes the lease if there is none or it lapsed; returns a row only when taken. */
  get acquireLease(): string {
    return `INSERT INTO ${this.leases} AS l (key, owner, expires_at)
VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
WHERE l.expires_at <= clock_timestamp()
RETURNING 1`;
  }

  /** Extends the lease while `owner` holds it; re-takes it if it vanished or lapsed untaken (as on Redis). */
  get extendLease(): string {
    return `INSERT INTO ${this.leases} AS l (key, owner, expires_at)
VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
WHERE l.owner = EXCLUDED.owner OR l.expires_at <= clock_timestamp()
RETURNING 1`;
  }

  get releaseLease(): string {
    return `DELETE FROM ${this.leases} WHERE key = $1 AND owner = $2`;
  }

  /** The stored marker and the binding it must carry to count. */
  readGeneration(binding: string): string {
    return `SELECT (SELECT marker FROM ${this.generation} WHERE id = 1) AS marker, ${binding} AS binding`;
  }

  /**
   * Writes the candidate (with the current binding) unless a marker with that binding is stored; returns the
   * marker stored afterwards, and the binding. A claim that lost a race to a concurrent one returns no row, or the
   * marker its snapshot saw before the winner committed (another binding): then read it again.
   */
  claimGeneration(binding: string): string {
    return `WITH b AS (SELECT ${binding} AS binding),
written AS (
  INSERT INTO ${this.generation} AS g (id, marker)
  SELECT 1, json_build_object('id', $1::text, 'createdAt', $2::bigint, 'binding', b.binding)::text FROM b
  ON CONFLICT (id) DO UPDATE SET marker = EXCLUDED.marker
  WHERE (g.marker::json ->> 'binding') IS DISTINCT FROM (EXCLUDED.marker::json ->> 'binding')
  RETURNING marker
)
SELECT marker, (SELECT binding FROM b) AS binding FROM written
UNION ALL
SELECT marker, (SELECT binding FROM b) FROM ${this.generation} WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM written)`;
  }

  get keys(): string {
    return `SELECT key FROM ${this.records} WHERE starts_with(key, $1) ORDER BY key`;
  }

  /** Pages through every record by key, for audit() and reseal(). */
  get page(): string {
    return `SELECT key, version, payload FROM ${this.records} WHERE key > $1 ORDER BY key LIMIT $2`;
  }

  /** Replaces the payload only if it is still the one resealed: a write that landed meanwhile is never overwritten. */
  get reseal(): string {
    return `UPDATE ${this.records} SET payload = $3 WHERE key = $1 AND payload = $2`;
  }
}
