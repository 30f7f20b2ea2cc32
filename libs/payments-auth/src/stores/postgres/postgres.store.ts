import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Pool } from 'pg';
import { openStoredPayload } from '../sealed-record.js';
import { TokenCipher } from '../token-cipher.js';
import type {
  ResealReport,
  StoreAudit,
  StoreDescription,
  StoreDurability,
  StoreGenerations,
  StoreLeases,
  StoredToken,
  TokenStore,
} from '../token-store.interface.js';
import { PostgresConnectionRunner } from './postgres-connection.js';
import { PostgresRecordWalk } from './postgres-record-walk.js';
import { type MarkerRow, isPermissionError, markerFor } from './postgres-generation.js';
import { PostgresStatements } from './postgres-statements.js';
import { PaymentsAuthConfigError } from '../../errors/config.error.js';
import {
  type PostgresConnection,
  type PostgresTokenStoreOptions,
  assertValid,
  namingIssues,
} from './postgres-store-options.js';

export type { PostgresConnection, PostgresTokenStoreOptions } from './postgres-store-options.js';

/** How often a generation claim that lost a race reads the winner's marker again. */
const CLAIM_READS = 3;

/**
 * Token store on PostgreSQL, shared by several instances: records in one table (the version in its own column,
 * so compare-and-set is one `INSERT ... ON CONFLICT ... WHERE version <` statement, the payload sealed when
 * `encryption` is set), renewal leases in another whose expiry the database's clock judges, and a generation
 * marker bound to the cluster, timeline, database and records table, so a restore, a new database or a re-created
 * table is detected as a store loss.
 * A committed rotation survives a crash of the server as long as `synchronous_commit` is on (see docs/stores.md).
 */
export class PostgresTokenStore implements TokenStore {
  private readonly runner: PostgresConnectionRunner;
  private readonly sql: PostgresStatements;
  private readonly cipher?: TokenCipher;
  private readonly createTables: boolean;
  private readonly walk: PostgresRecordWalk;
  private tables?: Promise<void>;
  /** The full generation binding, until the server is found to refuse pg_control_system(). */
  private fullBinding = true;

  constructor(connection: PostgresConnection, options: PostgresTokenStoreOptions = {}) {
    assertValid(connection, options);
    this.runner = new PostgresConnectionRunner(connection, options.commandTimeoutMs ?? 2_000);
    this.sql = new PostgresStatements({
      schema: options.schema ?? 'public',
      table: options.table ?? 'payments_auth_tokens',
    });
    this.cipher = options.encryption ? new TokenCipher(options.encryption) : undefined;
    this.createTables = options.createTables ?? true;
    this.walk = new PostgresRecordWalk({
      sql: this.sql,
      cipher: this.cipher,
      query: (text, values) => this.query(text, values),
    });
  }

  /** The app's pool, or the one the store made from `connectionString`. */
  get pool(): Pool {
    return this.runner.pool;
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const { rows } = await this.query<{ version: string; payload: string }>(this.sql.get, [key], true);
    if (rows.length === 0) return undefined;
    return openStoredPayload(this.cipher, rows[0].payload, key, Number(rows[0].version));
  }

  async set(key: string, value: StoredToken): Promise<void> {
    await this.query(this.sql.set, [key, value.version, this.payloadOf(key, value)]);
  }

  async compareAndSet(key: string, value: StoredToken): Promise<boolean> {
    const result = await this.query(this.sql.compareAndSet, [key, value.version, this.payloadOf(key, value)]);
    return result.rowCount === 1;
  }

  async delete(key: string): Promise<void> {
    await this.query(this.sql.delete, [key]);
  }

  readonly leases: StoreLeases = {
    acquire: async (key, ttlMs) => {
      const owner = randomUUID();
      // A second run after a lost session finds the lease taken by this owner id: the lease is then waited out.
      const { rowCount } = await this.query(this.sql.acquireLease, [key, owner, ttlMs], true);
      return rowCount === 1 ? owner : undefined;
    },
    extend: async (key, owner, ttlMs) =>
      (await this.query(this.sql.extendLease, [key, owner, ttlMs], true)).rowCount === 1,
    release: async (key, owner) => {
      await this.query(this.sql.releaseLease, [key, owner], true);
    },
  };

  /** A marker that counts only while the cluster, timeline, database and table it was written in are current. */
  readonly generations: StoreGenerations = {
    read: async () => {
      const { rows } = await this.bound((binding) => this.query<MarkerRow>(this.sql.readGeneration(binding), [], true));
      return markerFor(rows[0]);
    },
    claim: async (candidate) => {
      const { rows } = await this.bound((binding) =>
        this.query<MarkerRow>(this.sql.claimGeneration(binding), [candidate.id, candidate.createdAt], true),
      );
      let marker = markerFor(rows[0]);
      for (let read = 0; marker === undefined && read < CLAIM_READS; read += 1) marker = await this.generations.read();
      if (marker === undefined)
        throw Object.assign(new Error('the generation marker keeps changing'), { code: 'EGENERATION' });
      return marker;
    },
  };

  keys(prefix: string): Promise<string[]> {
    return this.walk.keys(prefix);
  }

  reseal(): Promise<ResealReport> {
    return this.walk.reseal();
  }

  audit(): Promise<StoreAudit> {
    return this.walk.audit();
  }

  /**
   * A committed record survives a crash of the server when fsync and synchronous_commit are on (the defaults).
   * synchronous_commit off acknowledges a commit before its WAL is flushed: a crash can then lose the newest
   * refresh token unseen. An owned pool's sessions run with it on; this reports the setting the store's own
   * session has, so an app's pool that keeps it off is named at start-up.
   */
  async durability(): Promise<StoreDurability> {
    try {
      const { rows } = await this.query<{ fsync: string; commit: string; standbys: string }>(
        `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS commit,
          current_setting('synchronous_standby_names') AS standbys`,
      );
      const { fsync, commit, standbys } = rows[0];
      if (fsync === 'off')
        return { survivesRestart: false, detail: 'PostgreSQL with fsync off: a crash can lose commits' };
      if (commit === 'off')
        return {
          survivesRestart: false,
          detail: 'PostgreSQL with synchronous_commit off: a crash can lose the last commits',
        };
      const failover = standbys
        ? `synchronous standbys: ${standbys}`
        : 'no synchronous standby (a failover to an asynchronous replica can lose the last commits)';
      return { survivesRestart: true, detail: `PostgreSQL with synchronous_commit ${commit}; ${failover}` };
    } catch {
      return { survivesRestart: undefined, detail: 'PostgreSQL durability unknown (not connected)' };
    }
  }

  describe(): StoreDescription {
    return {
      type: 'PostgresTokenStore',
      location: `table ${this.sql.name} on ${this.server()}`,
      atRest: true,
      encrypted: this.cipher !== undefined,
    };
  }

  async close(): Promise<void> {
    await this.runner.end();
  }

  /** As toJSON(): the pool's options would show the connection string, password included. */
  [inspect.custom](): Record<string, unknown> {
    return this.toJSON();
  }

  toJSON(): Record<string, unknown> {
    return {
      type: 'PostgresTokenStore',
      table: this.sql.name,
      encrypted: this.cipher !== undefined,
      ownsPool: this.runner.ownsPool,
    };
  }

  /** Where the pool connects, without user or password. */
  private server(): string {
    const options =
      (
        this.pool as unknown as {
          options?: { connectionString?: string; host?: string; port?: number; database?: string };
        }
      ).options ?? {};
    try {
      if (options.connectionString) {
        const url = new URL(options.connectionString);
        return `${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
      }
    } catch {
      return 'PostgreSQL';
    }
    return `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
  }

  private async query<R extends object>(text: string, values: unknown[] = [], retryOnLostSession = false) {
    await this.ensureTables();
    try {
      return await this.runner.query<R & Record<string, unknown>>(text, values, retryOnLostSession);
    } catch (error) {
      // undefined_table: the tables were dropped, or lost with a database restored or crashed without them (a
      // CREATE TABLE committed with synchronous_commit off may not survive). Create them again and retry once.
      if (!this.createTables || (error as { code?: unknown }).code !== '42P01') throw error;
      this.tables = undefined;
      await this.ensureTables();
      return this.runner.query<R & Record<string, unknown>>(text, values, retryOnLostSession);
    }
  }

  /**
   * Runs a generation statement with the full binding, or with the oids alone once the server is found to refuse
   * pg_control_system() (a managed service): a permission error of any other cause is passed on, never taken for it.
   */
  private async bound<T>(run: (binding: string) => Promise<T>): Promise<T> {
    try {
      return await run(this.sql.binding(this.fullBinding));
    } catch (error) {
      if (!this.fullBinding || !isPermissionError(error)) throw error;
      const refused = await this.runner.query('SELECT 1 FROM pg_control_system()').then(
        () => false,
        (probe: unknown) => isPermissionError(probe),
      );
      if (!refused) throw error;
      this.fullBinding = false;
      return run(this.sql.binding(false));
    }
  }

  private ensureTables(): Promise<void> {
    if (!this.createTables) return Promise.resolve();
    this.tables ??= this.createAll().catch((error: unknown) => {
      this.tables = undefined; // tried again by the next statement
      throw error;
    });
    return this.tables;
  }

  /**
   * Creates what is missing. Tables that exist are not created again, so a role with table grants only (no CREATE
   * on the schema) works once they are there. Instances starting together race CREATE TABLE IF NOT EXISTS (a
   * duplicate-type error): one more try settles it.
   */
  private async createAll(): Promise<void> {
    const { sql } = this;
    const { rows } = await this.runner.query<{ present: boolean }>(sql.tablesPresent, [
      sql.records,
      sql.leases,
      sql.generation,
    ]);
    if (rows[0]?.present === true) return;
    for (const statement of sql.migration()) {
      await this.runner.query(statement).catch((error: unknown) => {
        if (!['23505', '42P07', '42710'].includes(String((error as { code?: unknown }).code))) throw error;
        return this.runner.query(statement);
      });
    }
  }

  private payloadOf(key: string, value: StoredToken): string {
    const json = JSON.stringify(value);
    return this.cipher ? this.cipher.seal(json, key) : json;
  }
}

/** The statements of the tables, for apps that run migrations themselves (`createTables: false`). */
export function postgresMigrationSql(options: Pick<PostgresTokenStoreOptions, 'schema' | 'table'> = {}): string {
  const issues = namingIssues(options);
  if (issues.length > 0) throw new PaymentsAuthConfigError(issues);
  const sql = new PostgresStatements({
    schema: options.schema ?? 'public',
    table: options.table ?? 'payments_auth_tokens',
  });
  return sql
    .migration()
    .map((statement) => `${statement};\n`)
    .join('\n');
}
