import type { Pool, PoolConfig } from 'pg';
import { PaymentsAuthConfigError, type ConfigIssue } from '../../errors/config.error.js';
import type { TokenEncryptionOptions } from '../token-cipher.js';

/** Where the store connects: a connection string (the store owns its pool), or the app's own `pg.Pool`. */
export type PostgresConnection =
  | { connectionString: string; pool?: never; poolOptions?: Omit<PoolConfig, 'connectionString'> }
  | { pool: Pool; connectionString?: never; poolOptions?: never };

export interface PostgresTokenStoreOptions {
  /** Schema of the store's tables; it must exist. Default `public`. */
  schema?: string;
  /**
   * Name of the records table; the leases and generation tables take it as their prefix (`<table>_leases`,
   * `<table>_generation`). Default `payments_auth_tokens`.
   */
  table?: string;
  /**
   * Create the tables on first use (`CREATE TABLE IF NOT EXISTS`: needs the CREATE privilege on the schema, never a
   * superuser). Set false when migrations are run separately: `postgresMigrationSql()` returns the statements.
   * Default true.
   */
  createTables?: boolean;
  /**
   * Deadline for one statement, the wait for a pooled connection included: a slow or unreachable database fails
   * fast instead of stalling renewals. Default 2000 ms.
   */
  commandTimeoutMs?: number;
  encryption?: TokenEncryptionOptions;
}

/** An unquoted, lower-case SQL identifier: nothing to escape, and the name an operator types in psql is the same. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** Bad options fail at construction (so at bootstrap), naming each field. */
export function assertValid(connection: PostgresConnection, options: PostgresTokenStoreOptions): void {
  const issues: ConfigIssue[] = [];
  const given = [connection.connectionString !== undefined, connection.pool !== undefined].filter(Boolean).length;
  if (given !== 1)
    issues.push({ path: 'store', problem: 'give either connectionString or pool (an existing pg.Pool)' });
  if (connection.connectionString !== undefined && connection.connectionString.trim() === '')
    issues.push({ path: 'store.connectionString', problem: 'must not be empty' });
  issues.push(...namingIssues(options));
  const timeout = options.commandTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 100))
    issues.push({ path: 'store.commandTimeoutMs', problem: 'must be an integer of at least 100 (ms)' });
  if (issues.length > 0) throw new PaymentsAuthConfigError(issues);
}

/** The schema and table names must be plain identifiers: they are written into the SQL, never quoted. */
export function namingIssues(options: Pick<PostgresTokenStoreOptions, 'schema' | 'table'>): ConfigIssue[] {
  return (['schema', 'table'] as const)
    .filter((name) => options[name] !== undefined && !IDENTIFIER.test(options[name]))
    .map((name) => ({
      path: `store.${name}`,
      problem: 'must be a lower-case SQL identifier (letters, digits, underscores; at most 48 characters)',
    }));
}
