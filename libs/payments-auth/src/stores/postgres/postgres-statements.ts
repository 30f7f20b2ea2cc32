/*
 * The store's SQL. Each operation is one statement, so it is atomic on its own and costs one round trip; no
 * transaction is ever left open. Lease expiry is judged by the database's clock (clock_timestamp()), never by the
 * instances', so clock drift between instances cannot hand one lease to two holders.
 */

/** Table names, as validated by postgres-store-options.ts (lower-case identifiers, quoted all the same). */
export interface PostgresTables {
  schema: string;
  table: string;
}

export class PostgresStatements {
  /** `schema.table`, as an operator would type it: for logs. */
  readonly name: string;
  readonly records: string;
  readonly leases: string;
  readonly generation: string;

  constructor({ schema, table }: PostgresTables) {
    this.name = `${schema}.${table}`;
    // Quoted, so that a valid name that is also a keyword (`user`, `order`) is a name.
    this.records = `"${schema}"."${table}"`;
    this.leases = `"${schema}"."${table}_leases"`;
    this.generation = `"${schema}"."${table}_generation"`;
  }

  /**
   * What the generation marker is bound to: the cluster (system identifier, new after initdb or a logical restore
   * into another cluster), its timeline (new after a point-in-time restore or a standby's promotion), the
   * database's oid (new after a restore into another database) and the records table's oid (new when the table
   * was dropped and created again, as `pg_restore --clean` does). Nothing of the session: every instance computes
   * the same binding whatever its settings. `full: false` where the server refuses pg_control_system() (some
   * managed services): the two oids only.
   */
  binding(full: boolean): string {
    const oids = `d.oid::text || '/' || '${this.records}'::regclass::oid::text`;
    if (!full) return `(SELECT ${oids} FROM pg_database d WHERE d.datname = current_database())`;
    return `(SELECT s.system_identifier::text || '/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) || '/' || ${oids}
  FROM pg_control_system() s, pg_database d WHERE d.datname = current_database())`;
  }

  /** Whether all three tables exist (so a role with table grants only needs no CREATE on the schema). */
  get tablesPresent(): string {
    return `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS present`;
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
  marker text NOT NULL,
  binding text NOT NULL
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

  /** The stored marker, the binding it was written under, and the current binding: it counts when they match. */
  readGeneration(binding: string): string {
    return `SELECT g.marker, g.binding AS stored, b.binding
FROM (SELECT ${binding} AS binding) b LEFT JOIN ${this.generation} g ON g.id = 1`;
  }

  /**
   * Writes the candidate under the current binding unless a marker with that binding is stored; returns the marker
   * stored afterwards. A claim that lost a race to a concurrent one returns no row, or the marker its snapshot saw
   * before the winner committed (under another binding): then read it again.
   */
  claimGeneration(binding: string): string {
    return `WITH b AS (SELECT ${binding} AS binding),
written AS (
  INSERT INTO ${this.generation} AS g (id, marker, binding)
  SELECT 1, json_build_object('id', $1::text, 'createdAt', $2::bigint)::text, b.binding FROM b
  ON CONFLICT (id) DO UPDATE SET marker = EXCLUDED.marker, binding = EXCLUDED.binding
  WHERE g.binding IS DISTINCT FROM EXCLUDED.binding
  RETURNING marker, binding
)
SELECT w.marker, w.binding AS stored, b.binding FROM written w, b
UNION ALL
SELECT g.marker, g.binding, b.binding FROM ${this.generation} g, b
WHERE g.id = 1 AND NOT EXISTS (SELECT 1 FROM written)`;
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
