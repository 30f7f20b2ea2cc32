import { Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import type { PostgresConnection } from './postgres-store-options.js';

/** How much longer than statement_timeout the client waits for the server's own cancellation. */
const SILENT_SERVER_MARGIN_MS = 1_000;

/**
 * Runs the store's statements on a pool. The wait for a connection has a deadline, and a connection that arrives
 * after it is handed back unused, so a statement given up on is never sent late (a late lease or record write
 * would act on a state nobody is waiting for any more). A statement then runs until the server's
 * statement_timeout (an owned pool) or the rest of the deadline (an app's pool). A connection whose statement
 * failed other than with an SQL error (a timeout, a terminated backend, a broken socket) is destroyed, never
 * reused.
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
        // The server cancels a statement stuck behind a lock (57014, the session stays usable) before the client
        // would give up on it, so a statement reported as failed has not landed later on. And the store's own
        // commits are flushed before they are acknowledged, whatever the server's default: a rotation must not
        // be lost in a crash after its access token was handed out.
        statement_timeout: timeoutMs,
        options: [connection.poolOptions?.options, '-c synchronous_commit=on'].filter(Boolean).join(' '),
      });
    // An idle connection whose backend was terminated (pg_terminate_backend, a restart) is reported here; the
    // pool drops it, and without a listener the process would crash. An app's own pool is the app's to watch.
    if (this.ownsPool) this.pool.on('error', () => undefined);
  }

  /**
   * Runs one statement. `retryOnLostSession`: for statements that are safe to run twice (reads, and lease and
   * marker statements whose second run changes nothing or errs on the side of waiting), one more try on another
   * connection when the session was lost under it (pg_terminate_backend, a restart): a pooled connection can die
   * while idle, and the statement that picks it up next would fail for nothing. Never for record writes, whose
   * second run could report a write that landed as refused.
   */
  async query<R extends QueryResultRow>(
    text: string,
    values: unknown[] = [],
    retryOnLostSession = false,
  ): Promise<QueryResult<R>> {
    if (!retryOnLostSession) return this.once<R>(text, values);
    return this.once<R>(text, values).catch((error: unknown) => {
      if (!isLostSession(error)) throw error;
      return this.once<R>(text, values);
    });
  }

  private async once<R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>> {
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
        // On an owned pool the server's statement_timeout ends the statement; this is only the backstop for a
        // connection that went silent. On an app's own pool it is the deadline (see docs/stores.md).
        query_timeout: this.ownsPool ? this.timeoutMs + SILENT_SERVER_MARGIN_MS : Math.max(1, deadline - Date.now()),
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

/** The session ended under the statement: terminated by an administrator or a shutdown, or its socket closed. */
function isLostSession(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === 'ECONNRESET' ||
    (typeof message === 'string' && message.startsWith('Connection terminated'))
  );
}
