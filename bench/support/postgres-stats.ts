import type { PostgresServer } from '../../test/support/postgres.server';

/** The store's database on the test server, and the tables PostgresTokenStore creates there by default. */
const DATABASE = 'tokens';
const TABLES = ['payments_auth_tokens', 'payments_auth_tokens_leases', 'payments_auth_tokens_generation'];

export interface PostgresFigures {
  /** pg_total_relation_size (heap, indexes, TOAST) of the store's three tables; 0 for a table not created yet. */
  bytes: number;
  /** Statements run in the store's database so far, the probe's own excluded. */
  statements: number;
  /** Autovacuum and autoanalyze runs on the store's tables so far: their transactions are counted too. */
  maintenance: number;
}

/**
 * Reads what the store's database holds and how many statements it has run, as the server counts them.
 *
 * Each of the store's statements is a transaction of its own (autocommit; the store never opens one), so the
 * database's xact_commit + xact_rollback counts them, failed ones included. A new session adds one transaction
 * of its own (reading the catalog as it starts), which `sessions` counts: subtracting it leaves the statements.
 * The counters are read from another database (`postgres`), so reading them adds nothing; the size is read in
 * the store's database, and those statements are subtracted. Autovacuum's transactions are counted as well (its
 * workers are no sessions): `maintenance` says whether it ran, so a few more than were sent can be told apart.
 * A backend reports its counts when it has been idle
 * for a while or when it ends: read the statements after the store's sessions have ended (the workers stopped),
 * or they may be short.
 */
export function postgresProbe(server: PostgresServer): () => Promise<PostgresFigures> {
  let own = 0;
  return async () => {
    const [{ statements }] = await server.admin<{ statements: string }>(
      `SELECT xact_commit + xact_rollback - sessions AS statements FROM pg_stat_database WHERE datname = '${DATABASE}'`,
      'postgres',
    );
    const sizes = TABLES.map((table) => `coalesce(pg_total_relation_size(to_regclass('public.${table}')), 0)`);
    const [{ bytes, maintenance }] = await server.admin<{ bytes: string; maintenance: string }>(
      `SELECT ${sizes.join(' + ')} AS bytes, (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)
        FROM pg_stat_user_tables WHERE relname IN (${TABLES.map((table) => `'${table}'`).join(', ')})) AS maintenance`,
      DATABASE,
    );
    const figures = { bytes: Number(bytes), statements: Number(statements) - own, maintenance: Number(maintenance) };
    own += 1;
    return figures;
  };
}
