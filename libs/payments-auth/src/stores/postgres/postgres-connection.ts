import { Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import type { PostgresConnection } from './postgres-store-options.js';

/**
 * Runs the store's statements on a pool, each within a deadline that includes the wait for a connection. A
 * connection that arrives after its deadline is handed back unused, so a statement given up on is never sent
 * late (a late lease or record write would act on a state nobody is waiting for any more). A connection whose
 * statement failed other than with an SQL error (a timeout, a terminated backend, a broken socket) is destroyed,
 * never reused.
 */
export class PostgresConnectionRunner {
  readonly pool: Pool;
  readonly ownsPool: boolean;
  private ended?: Promise<void>;

  constructor(
    connection: PostgresConnection,
    private readonly timeoutMs: number,
  ) {
    this.ownsPool = connection.pool === undefined;
    this.pool =
      connection.pool ??
      new Pool({
        max: 4,
        ...connection.poolOptions,
        connectionString: connection.connectionString,
        connectionTimeoutMillis: timeoutMs,
        // The server gives up first (the client's deadline also covers the wait for a connection), so a statement
        // stuck behind a lock is cancelled there, answers 57014 and leaves its connection usable, rather than
        // living on in the server after the client gave up and perhaps landing late.
        statement_timeout: Math.max(50, Math.floor(timeoutMs * 0.75)),
      });
    // An idle connection whose backend was terminated (pg_terminate_backend, a restart) is reported here; the
    // pool drops it, and without a listener the process would crash. An app's own pool is the app's to watch.
    if (this.ownsPool) this.pool.on('error', () => undefined);
  }

  async query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<QueryResult<R>> {
    const deadline = Date.now() + this.timeoutMs;
    const client = await this.connect(deadline);
    // A connection lost while checked out (a crash, pg_terminate_backend) is also emitted as 'error' on the client,
    // which the pool leaves to whoever holds it: unheard, it would crash the process. The statement's own
    // rejection reports it.
    client.on('error', ignore);
    let failure: unknown;
    try {
      // pg honours a per-statement query_timeout, which its types leave out.
      const config: QueryConfig & { query_timeout: number } = {
        text,
        values,
        query_timeout: Math.max(1, deadline - Date.now()),
      };
      return await client.query<R>(config);
    } catch (error) {
      failure = error;
      // pg's own deadline error carries no code; give it the one a timed-out connection would have.
      if ((error as Error).message === 'Query read timeout') Object.assign(error as Error, { code: 'ETIMEDOUT' });
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(failure !== undefined && !isSqlError(failure) ? (failure as Error) : undefined);
    }
  }

  /** Ends an owned pool, once however often it is called (the module and the app may both close the store). */
  end(): Promise<void> {
    this.ended ??= this.ownsPool ? this.pool.end() : Promise.resolve();
    return this.ended;
  }

  private connect(deadline: number): Promise<PoolClient> {
    const pending = this.pool.connect();
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(
        () => {
          late = true;
          reject(Object.assign(new Error('PostgreSQL connection timed out'), { code: 'ETIMEDOUT' }));
        },
        Math.max(0, deadline - Date.now()),
      );
      pending.then(
        (client) => {
          clearTimeout(timer);
          if (late) client.release();
          else resolve(client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error); // as pg gave it: its code (ECONNREFUSED, 28P01...) says why
        },
      );
    });
  }
}

/**
 * An error the server answered with while the session lives on (a constraint, a permission, a statement
 * timeout): the connection stays usable. FATAL and PANIC end the session (pg_terminate_backend, a shutdown).
 */
function isSqlError(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC';
}

function ignore(): void {}
